package sessionhttp

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/session"
)

// Handler serves the sessions admin API, the account API and the internal
// API over a *session.Service. Its routes are listed in routes.go.
type Handler struct {
	svc          *session.Service
	serviceToken string
	admin        *iamhttp.AdminGuard
	router       chi.Router
}

var _ http.Handler = (*Handler)(nil)

// Option configures a Handler.
type Option func(*Handler)

// WithServiceToken sets the shared secret that callers of /internal routes
// must send in X-OpenGate-Service-Token (OPENGATE_SERVICE_TOKEN). Without it,
// every /internal request is refused.
func WithServiceToken(token string) Option {
	return func(h *Handler) { h.serviceToken = token }
}

// WithAdminGuard sets the guard of the admin routes (default: one that
// trusts the token's roles, iamhttp.NewAdminGuard(nil)). Give every handler
// of a deployment the same guard, with an iamhttp.Standing.
func WithAdminGuard(g *iamhttp.AdminGuard) Option {
	return func(h *Handler) { h.admin = g }
}

// NewHandler returns the sessions API over svc.
func NewHandler(svc *session.Service, opts ...Option) *Handler {
	h := &Handler{svc: svc, admin: iamhttp.NewAdminGuard(nil)}
	for _, o := range opts {
		o(h)
	}
	h.router = chi.NewRouter()
	h.Mount(h.router)
	return h
}

// ServeHTTP serves the routes of Mount.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.router.ServeHTTP(w, r)
}
