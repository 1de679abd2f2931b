package iamhttp

import (
	"net/http"

	"github.com/opengate-iam/opengate/iam"
)

// AccountCaller is the one rule of every self-service (account) route: it
// returns the path's realm and the calling user's principal, or writes the
// error and returns ok=false:
//
//   - a malformed realm in the path: 400 (CodeInvalid);
//   - no principal, or one without a subject: 401 (CodeUnauthenticated);
//   - a principal of another realm: 403 (CodeForbidden), as the gateway and
//     the all-in-one answer it, so a service answers the same whether it is
//     reached through them or directly.
func AccountCaller(w http.ResponseWriter, r *http.Request) (realm iam.Realm, p *iam.Principal, ok bool) {
	realm, err := Realm(r)
	if err != nil {
		Error(w, r, err)
		return "", nil, false
	}
	p = iam.PrincipalFrom(r.Context())
	switch {
	case p == nil || p.Subject == "":
		Error(w, r, iam.Errorf(iam.CodeUnauthenticated, "authentication required"))
		return "", nil, false
	case p.Realm != realm:
		Error(w, r, iam.Errorf(iam.CodeForbidden, "the token was issued by another realm"))
		return "", nil, false
	}
	return realm, p, true
}
