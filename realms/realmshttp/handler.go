package realmshttp

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/realms"
)

// Handler serves the realms admin API and the internal read API over a
// *realms.Service. Its routes are listed in routes.go.
type Handler struct {
	svc          *realms.Service
	serviceToken string
	admin        *iamhttp.AdminGuard
	router       chi.Router
	transfer     *Transfer // nil: no realm import, partialImport nor partial-export
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

// NewHandler returns the realms API over svc.
func NewHandler(svc *realms.Service, opts ...Option) *Handler {
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

// list answers the realms the caller (an administrator: AnyAdmin)
// administers, each as visible returns it.
func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	p := iam.PrincipalFrom(r.Context())
	all, err := h.svc.List(r.Context())
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out := make([]any, 0, len(all))
	for _, rl := range all {
		if p.CanAdminister(rl.Name) {
			out = append(out, visible(p, rl))
		}
	}
	iamhttp.JSON(w, http.StatusOK, out)
}

// visible is what administrator p sees of realm rl, as Keycloak shows it:
// the whole representation with view-realm (or manage-realm), else only its
// name (an administrator of users still learns which realm it is in).
func visible(p *iam.Principal, rl realms.Realm) any {
	if !p.Can(rl.Name, iam.PermViewRealm) {
		return RealmRepresentation{Realm: ptr(string(rl.Name))}
	}
	return iamhttp.WithExtra(fromRealm(rl, false), rl.Extra)
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	if h.transfer != nil {
		h.importRealm(w, r)
		return
	}
	rep, extra, err := decodeRealm(w, r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	in, err := rep.toRealm()
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	in.Extra = extra
	created, err := h.svc.Create(r.Context(), in)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.Created(w, r, string(created.Name))
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) {
	name, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	rl, err := h.svc.Get(r.Context(), name)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, visible(iam.PrincipalFrom(r.Context()), rl))
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request) {
	name, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	rep, extra, err := decodeRealm(w, r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	u, err := rep.toUpdate(name)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	u.Extra = extra
	if _, err := h.svc.Update(r.Context(), name, u); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) {
	name, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	if err := h.svc.Delete(r.Context(), name); err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.NoContent(w)
}

func (h *Handler) internalGet(w http.ResponseWriter, r *http.Request) {
	name, err := iamhttp.Realm(r)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	rl, err := h.svc.Get(r.Context(), name)
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	iamhttp.JSON(w, http.StatusOK, fromRealm(rl, true))
}

// NamesRepresentation is the answer of GET /internal/realms.
type NamesRepresentation struct {
	Realms []iam.Realm `json:"realms"`
}

func (h *Handler) internalNames(w http.ResponseWriter, r *http.Request) {
	all, err := h.svc.List(r.Context())
	if err != nil {
		iamhttp.Error(w, r, err)
		return
	}
	out := NamesRepresentation{Realms: make([]iam.Realm, 0, len(all))}
	for _, rl := range all {
		out.Realms = append(out.Realms, rl.Name)
	}
	iamhttp.JSON(w, http.StatusOK, out)
}
