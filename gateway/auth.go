package gateway

import (
	"net/http"
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// bearerToken returns the token of an "Authorization: Bearer" header, or "".
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// authenticate applies the route's Access, the realm rule and the
// policies:
//
//   - Public routes pass untouched: the gateway does not read their token.
//   - Protected routes without a bearer token: 401, WWW-Authenticate:
//     Bearer realm="{realm}" (RFC 6750 §3.1: no error code for a request
//     without credentials). Optional routes pass anonymously.
//   - A token the Verifier refuses: 401, WWW-Authenticate: Bearer
//     realm="{realm}", error="invalid_token", error_description="...";
//     a Verifier that cannot decide (keys or revocation list unavailable):
//     503.
//   - A token of a realm other than the path's: 403, unless its caller is
//     a master administrator.
//   - Then each policy whose path covers the request's.
//
// The verified principal goes into the context (iam.PrincipalFrom) for the
// middleware and in-process upstreams; the Authorization header is passed
// on unchanged, so proxied services verify the same token again.
func (g *Gateway) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := stateFrom(r.Context())
		if s.route.Access == Public {
			g.applyPolicies(next, w, r, s)
			return
		}
		raw := bearerToken(r)
		if raw == "" {
			if s.route.Access == Protected {
				w.Header().Set("WWW-Authenticate", bearerChallenge(s.realm, "", ""))
				g.fail(w, r, iam.Errorf(iam.CodeUnauthenticated, "a bearer token is required"))
				return
			}
			g.applyPolicies(next, w, r, s)
			return
		}
		p, err := g.verifier.Verify(r.Context(), raw)
		if err != nil {
			if iam.ErrorCode(err) == iam.CodeUnauthenticated {
				w.Header().Set("WWW-Authenticate", bearerChallenge(s.realm, "invalid_token", iam.ErrorMessage(err)))
			}
			g.fail(w, r, err)
			return
		}
		if s.realm != "" && p.Realm != s.realm && !p.IsMasterAdmin() {
			g.fail(w, r, iam.Errorf(iam.CodeForbidden, "the token was issued by another realm"))
			return
		}
		s.principal = p
		r = r.WithContext(iam.WithPrincipal(r.Context(), p))
		g.applyPolicies(next, w, r, s)
	})
}

// bearerChallenge returns a WWW-Authenticate value of the Bearer scheme
// (RFC 6750 §3): realm when the path names one, and error with its
// description when there was a token.
func bearerChallenge(realm iam.Realm, code, description string) string {
	var b strings.Builder
	b.WriteString("Bearer")
	sep := " "
	if realm != "" {
		b.WriteString(sep + `realm="` + string(realm) + `"`)
		sep = ", "
	}
	if code != "" {
		b.WriteString(sep + `error="` + code + `"`)
		if description != "" {
			b.WriteString(`, error_description="` + quotable(description) + `"`)
		}
	}
	return b.String()
}

// quotable drops what cannot appear in a quoted-string's description
// (RFC 6750 limits it to printable ASCII without '"' and '\').
func quotable(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return -1
		}
		return r
	}, s)
}
