package sessionhttp

import (
	"net/http"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// self returns the realm and the calling user's principal: 401 without a
// user principal, 404 when the principal belongs to another realm.
func self(w http.ResponseWriter, r *http.Request) (iam.Realm, *iam.Principal, bool) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return "", nil, false
	}
	p := iam.PrincipalFrom(r.Context())
	switch {
	case p == nil || p.Subject == "":
		iamhttp.Error(w, r, iam.Errorf(iam.CodeUnauthenticated, "authentication required"))
		return "", nil, false
	case p.Realm != realm:
		iamhttp.Error(w, r, iam.NotFoundf("account not found"))
		return "", nil, false
	}
	return realm, p, true
}

func (h *Handler) accountSessions(w http.ResponseWriter, r *http.Request) {
	realm, p, ok := self(w, r)
	if !ok {
		return
	}
	list, err := h.svc.ListByUser(r.Context(), realm, p.Subject)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out := make([]SessionRepresentation, len(list))
	for i, s := range list {
		out[i] = toAccount(s, p.SessionID)
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

func (h *Handler) deleteAccountSession(w http.ResponseWriter, r *http.Request) {
	realm, p, ok := self(w, r)
	if !ok {
		return
	}
	if err := h.svc.TerminateOwn(r.Context(), realm, p.Subject, r.PathValue("sid")); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}
