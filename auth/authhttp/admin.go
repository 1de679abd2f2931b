package authhttp

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// keyRepresentation describes the new active key after a rotation.
type keyRepresentation struct {
	Kid              string `json:"kid"`
	Algorithm        string `json:"algorithm"`
	CreatedTimestamp int64  `json:"createdTimestamp"` // ms
}

// bruteForceRepresentation is Keycloak's attack-detection answer.
type bruteForceRepresentation struct {
	NumFailures   int    `json:"numFailures"`
	Disabled      bool   `json:"disabled"`
	LastIPFailure string `json:"lastIPFailure"`
	LastFailure   int64  `json:"lastFailure"` // ms, 0 if none
}

// rotateKey serves POST /admin/realms/{realm}/keys/rotate: 200 with the new
// key's id and algorithm.
func (h *Handler) rotateKey(w http.ResponseWriter, r *http.Request) {
	name, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	k, err := h.svc.RotateKey(r.Context(), name)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, keyRepresentation{Kid: k.ID, Algorithm: k.Algorithm, CreatedTimestamp: k.CreatedAt.UnixMilli()})
}

// bruteForceStatus serves GET
// /admin/realms/{realm}/attack-detection/brute-force/users/{id}.
func (h *Handler) bruteForceStatus(w http.ResponseWriter, r *http.Request) {
	name, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	st, err := h.svc.BruteForceStatus(r.Context(), name, chi.URLParam(r, "id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	rep := bruteForceRepresentation{NumFailures: st.NumFailures, Disabled: st.Disabled,
		LastIPFailure: st.LastIPFailure, LastFailure: 0}
	if rep.LastIPFailure == "" {
		rep.LastIPFailure = "n/a" // Keycloak's value when unknown
	}
	if !st.LastFailure.IsZero() {
		rep.LastFailure = st.LastFailure.UnixMilli()
	}
	iamhttp.JSON(w, http.StatusOK, rep)
}

// clearBruteForce serves DELETE
// /admin/realms/{realm}/attack-detection/brute-force/users/{id}: 204.
func (h *Handler) clearBruteForce(w http.ResponseWriter, r *http.Request) {
	name, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if err := h.svc.ClearBruteForce(r.Context(), name, chi.URLParam(r, "id")); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}
