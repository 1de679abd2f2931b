package sessionhttp

import (
	"net/http"

	"github.com/opengate-iam/opengate/iam/iamhttp"
)

func (h *Handler) internalAlive(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	alive, err := h.svc.Alive(r.Context(), realm, r.PathValue("sid"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, AliveRepresentation{Alive: alive})
}

func (h *Handler) internalTouch(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	alive, err := h.svc.Touch(r.Context(), realm, r.PathValue("sid"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, AliveRepresentation{Alive: alive})
}
