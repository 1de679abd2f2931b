package clientshttp

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Handler serves the clients admin API and the internal API over a
// *clients.Service. Its routes are listed in routes.go.
type Handler struct {
	svc          *clients.Service
	serviceToken string
	admin        *iamhttp.AdminGuard
	router       chi.Router
}

var _ http.Handler = (*Handler)(nil)

// Option configures a Handler.
type Option func(*Handler)

// WithServiceToken sets the shared secret that callers of /internal routes
// must send in X-OpenGate-Service-Token (OPENGATE_SERVICE_TOKEN). Without it,
// every /internal request is refused with 401.
func WithServiceToken(token string) Option {
	return func(h *Handler) { h.serviceToken = token }
}

// WithAdminGuard sets the guard of the admin routes (default: one that
// trusts the token's roles, iamhttp.NewAdminGuard(nil)). Give every handler
// of a deployment the same guard, with an iamhttp.Standing.
func WithAdminGuard(g *iamhttp.AdminGuard) Option {
	return func(h *Handler) { h.admin = g }
}

// NewHandler returns the clients API over svc.
func NewHandler(svc *clients.Service, opts ...Option) *Handler {
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

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	page, err := iamhttp.ParsePage(r, clients.DefaultPageSize, clients.MaxPageSize)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	search, err := iamhttp.Bool(r, "search")
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	f := clients.Filter{ClientID: r.URL.Query().Get("clientId"), Search: search != nil && *search,
		First: page.First, Max: page.Max}
	cs, err := h.svc.List(r.Context(), realm, f)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out := make([]any, len(cs))
	for i, c := range cs {
		out[i] = clientJSON(c)
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	rep, extra, err := decodeClient(w, r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	in, secret, err := rep.toClient()
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	in.Extra = extra
	c, err := h.svc.Create(r.Context(), realm, in, secret)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.Created(w, r, c.ID)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	c, err := h.svc.Get(r.Context(), realm, chi.URLParam(r, "id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, clientJSON(c))
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	rep, extra, err := decodeClient(w, r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	u, err := rep.toUpdate(id)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	u.Extra = extra
	if _, err := h.svc.Update(r.Context(), realm, id, u); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if err := h.svc.Delete(r.Context(), realm, chi.URLParam(r, "id")); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

func (h *Handler) getSecret(w http.ResponseWriter, r *http.Request) {
	h.answerSecret(w, r, h.svc.Secret)
}

func (h *Handler) rotateSecret(w http.ResponseWriter, r *http.Request) {
	h.answerSecret(w, r, h.svc.RotateSecret)
}

// answerSecret answers the secret that read (Secret or RotateSecret) returns
// for client {id}, never cached.
func (h *Handler) answerSecret(w http.ResponseWriter, r *http.Request, read func(context.Context, iam.Realm, string) (string, error)) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	secret, err := read(r.Context(), realm, chi.URLParam(r, "id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	iamhttp.JSON(w, http.StatusOK, CredentialRepresentation{Type: "secret", Value: secret})
}

func (h *Handler) internalGet(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	c, err := h.svc.Get(r.Context(), realm, chi.URLParam(r, "id"))
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, clientJSON(c))
}

func (h *Handler) internalGetByClientID(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	clientID := r.URL.Query().Get("clientId")
	if clientID == "" {
		iamhttp.Error(w, r, iam.Invalidf("clientId", "clientId is required"))
		return
	}
	c, err := h.svc.GetByClientID(r.Context(), realm, clientID)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, clientJSON(c))
}

func (h *Handler) internalAuthenticate(w http.ResponseWriter, r *http.Request) {
	realm, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	var req AuthenticateRequest
	if err := iamhttp.DecodeLimit(w, r, &req, 16<<10); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	c, err := h.svc.Authenticate(r.Context(), realm, req.ClientID, req.Secret)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, clientJSON(c))
}
