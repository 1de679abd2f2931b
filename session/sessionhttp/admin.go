package sessionhttp

import (
	"net/http"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/session"
)

func (h *Handler) userSessions(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	list, err := h.svc.ListByUser(r.Context(), realm, r.PathValue("id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, fromSessions(list))
}

func (h *Handler) logoutUser(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if _, err := h.svc.TerminateUser(r.Context(), realm, r.PathValue("id"), session.ReasonAdmin, ""); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

func (h *Handler) deleteSession(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	offline, err := iamhttp.Bool(r, "isOffline")
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if offline != nil && *offline {
		iamhttp.Error(w, r, iam.NotFoundf("session not found: OpenGate has no offline sessions"))
		return
	}
	if err := h.svc.Terminate(r.Context(), realm, r.PathValue("sid"), session.ReasonAdmin); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

// logoutAll ends every session of the realm. Keycloak answers a
// GlobalRequestResult listing the clients it pushed a logout to; OpenGate
// pushes to none, so the answer is empty.
func (h *Handler) logoutAll(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if _, err := h.svc.TerminateRealm(r.Context(), realm, session.ReasonAdmin); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, struct{}{})
}

func (h *Handler) clientSessions(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	page, err := iamhttp.ParsePage(r, session.DefaultPageSize, session.MaxPageSize)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	list, err := h.svc.ListByClient(r.Context(), realm, r.PathValue("id"), page.First, page.Max)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, fromSessions(list))
}

func (h *Handler) clientSessionCount(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	stats, err := h.svc.Stats(r.Context(), realm)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	count := 0
	for _, s := range stats {
		if s.ClientUUID == r.PathValue("id") {
			count = s.Active
		}
	}
	iamhttp.JSON(w, http.StatusOK, map[string]int{"count": count})
}

func (h *Handler) clientSessionStats(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	stats, err := h.svc.Stats(r.Context(), realm)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, fromStats(stats))
}
