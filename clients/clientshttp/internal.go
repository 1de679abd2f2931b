package clientshttp

import (
	"net/http"

	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// AuthenticateRequest is the body of POST
// /internal/realms/{realm}/clients/authenticate.
type AuthenticateRequest struct {
	ClientID string `json:"clientId"`
	Secret   string `json:"secret"`
}

// WebOriginsRepresentation is the answer of GET
// /internal/realms/{realm}/web-origins.
type WebOriginsRepresentation struct {
	Origins []string `json:"origins"`
}

func (h *Handler) internalWebOrigins(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	origins, err := h.svc.WebOrigins(r.Context(), realm)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, WebOriginsRepresentation{Origins: origins})
}
