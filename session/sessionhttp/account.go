package sessionhttp

import (
	"net/http"

	"github.com/opengate-iam/opengate/iam/iamhttp"
)

func (h *Handler) accountSessions(w http.ResponseWriter, r *http.Request) {
	realm, p, ok := iamhttp.AccountCaller(w, r)
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
	realm, p, ok := iamhttp.AccountCaller(w, r)
	if !ok {
		return
	}
	if err := h.svc.TerminateOwn(r.Context(), realm, p.Subject, r.PathValue("sid")); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}
