package usershttp

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/users"
)

// passwordRepresentation is the body of reset-password.
type passwordRepresentation struct {
	Type      string `json:"type,omitempty"`
	Value     string `json:"value"`
	Temporary *bool  `json:"temporary,omitempty"`
	UserLabel string `json:"userLabel,omitempty"`
}

func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	var rep passwordRepresentation
	if err := iamhttp.Decode(w, r, &rep); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if rep.Type != "" && rep.Type != users.CredentialPassword {
		iamhttp.Error(w, r, iam.Invalidf("type", "type must be %q", users.CredentialPassword))
		return
	}
	temporary := rep.Temporary != nil && *rep.Temporary
	if err := h.svc.SetPassword(r.Context(), realm, chi.URLParam(r, "id"), rep.Value, temporary); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

func (h *Handler) credentials(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	creds, err := h.svc.Credentials(r.Context(), realm, chi.URLParam(r, "id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out := make([]credentialInfo, 0, len(creds))
	for _, c := range creds {
		out = append(out, credentialInfo{ID: c.ID, Type: c.Type, UserLabel: c.UserLabel, CreatedDate: c.CreatedAt.UnixMilli()})
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

func (h *Handler) deleteCredential(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	if err := h.svc.DeleteCredential(r.Context(), realm, chi.URLParam(r, "id"), chi.URLParam(r, "credId")); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

// lifespan reads Keycloak's ?lifespan= (seconds); 0 when absent.
func lifespan(r *http.Request) (time.Duration, error) {
	s := r.URL.Query().Get("lifespan")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, iam.Invalidf("lifespan", "lifespan must be a non-negative number of seconds")
	}
	return time.Duration(n) * time.Second, nil
}

// sendVerifyEmail accepts Keycloak's client_id and redirect_uri parameters
// and ignores them: the link leads to OpenGate's own confirmation page.
func (h *Handler) sendVerifyEmail(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	ttl, err := lifespan(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if err := h.svc.SendVerifyEmail(r.Context(), realm, chi.URLParam(r, "id"), ttl); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

func (h *Handler) executeActionsEmail(w http.ResponseWriter, r *http.Request) {
	realm, ok := pathRealm(w, r)
	if !ok {
		return
	}
	ttl, err := lifespan(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var actions []string
	if err := iamhttp.Decode(w, r, &actions); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if err := h.svc.ExecuteActionsEmail(r.Context(), realm, chi.URLParam(r, "id"), actions, ttl); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}
