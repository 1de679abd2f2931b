package rbachttp

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac"
)

// Handler serves rbac's admin API (Keycloak's paths). Every endpoint requires
// a principal that may administer the path's realm (iamhttp.AdminRealm:
// 401 without one, 403 otherwise); an upstream middleware puts it in the
// request context.
type Handler struct {
	svc          *rbac.Service
	serviceToken string
	router       chi.Router
}

var _ http.Handler = (*Handler)(nil)

// Option configures a Handler.
type Option func(*Handler)

// WithServiceToken sets the shared secret that callers of the /internal
// routes must send in X-OpenGate-Service-Token (OPENGATE_SERVICE_TOKEN).
// Without it every /internal request is refused with 401.
func WithServiceToken(token string) Option {
	return func(h *Handler) { h.serviceToken = token }
}

// NewHandler returns the admin API (and internal API) of svc.
func NewHandler(svc *rbac.Service, opts ...Option) *Handler {
	h := &Handler{svc: svc}
	for _, o := range opts {
		o(h)
	}
	h.router = chi.NewRouter()
	h.Mount(h.router)
	return h
}

// ServeHTTP serves the routes Mount lists.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

// Mount adds rbac's routes to router, which may be a router shared with
// other services: each route is added with its absolute path (no sub-router
// is mounted), and the paths are rbac's alone.
func (h *Handler) Mount(router chi.Router) {
	r := prefixed{router, "/admin/realms/{realm}"}
	{
		// Realm roles, by name.
		realmRole := h.realmRoleByName
		r.Get("/roles", h.listRoles(realmContainer))
		r.Post("/roles", h.createRole(realmContainer))
		r.Get("/roles/{roleName}", h.getRole(realmRole))
		r.Put("/roles/{roleName}", h.updateRole(realmRole))
		r.Delete("/roles/{roleName}", h.deleteRole(realmRole))
		r.Get("/roles/{roleName}/composites", h.listComposites(realmRole))
		r.Post("/roles/{roleName}/composites", h.addComposites(realmRole))
		r.Delete("/roles/{roleName}/composites", h.removeComposites(realmRole))
		r.Get("/roles/{roleName}/composites/realm", h.realmComposites(realmRole))
		r.Get("/roles/{roleName}/composites/clients/{client}", h.clientComposites(realmRole))
		r.Get("/roles/{roleName}/users", h.roleUsers(realmRole))

		// Any role, by id (the admin client uses these for composites).
		byID := h.roleByID
		r.Get("/roles-by-id/{roleID}", h.getRole(byID))
		r.Put("/roles-by-id/{roleID}", h.updateRole(byID))
		r.Delete("/roles-by-id/{roleID}", h.deleteRole(byID))
		r.Get("/roles-by-id/{roleID}/composites", h.listComposites(byID))
		r.Post("/roles-by-id/{roleID}/composites", h.addComposites(byID))
		r.Delete("/roles-by-id/{roleID}/composites", h.removeComposites(byID))
		r.Get("/roles-by-id/{roleID}/composites/realm", h.realmComposites(byID))
		r.Get("/roles-by-id/{roleID}/composites/clients/{client}", h.clientComposites(byID))

		// Client roles; {id} is the client UUID.
		clientRole := h.clientRoleByName
		r.Get("/clients/{id}/roles", h.listRoles(clientIn("id")))
		r.Post("/clients/{id}/roles", h.createRole(clientIn("id")))
		r.Get("/clients/{id}/roles/{roleName}", h.getRole(clientRole))
		r.Put("/clients/{id}/roles/{roleName}", h.updateRole(clientRole))
		r.Delete("/clients/{id}/roles/{roleName}", h.deleteRole(clientRole))
		r.Get("/clients/{id}/roles/{roleName}/composites", h.listComposites(clientRole))
		r.Post("/clients/{id}/roles/{roleName}/composites", h.addComposites(clientRole))
		r.Delete("/clients/{id}/roles/{roleName}/composites", h.removeComposites(clientRole))
		r.Get("/clients/{id}/roles/{roleName}/composites/realm", h.realmComposites(clientRole))
		r.Get("/clients/{id}/roles/{roleName}/composites/clients/{client}", h.clientComposites(clientRole))
		r.Get("/clients/{id}/roles/{roleName}/users", h.roleUsers(clientRole))

		// Role mappings of a user, or of a client's service account
		// ({id} = "service-account-{clientUUID}"); {client} is a client UUID.
		r.Get("/users/{id}/role-mappings", h.getMappings)
		r.Get("/users/{id}/role-mappings/realm", h.listMapped(realmContainer))
		r.Post("/users/{id}/role-mappings/realm", h.addMapped(realmContainer))
		r.Delete("/users/{id}/role-mappings/realm", h.removeMapped(realmContainer))
		r.Get("/users/{id}/role-mappings/realm/available", h.listAvailable(realmContainer))
		r.Get("/users/{id}/role-mappings/realm/composite", h.listEffective(realmContainer))
		r.Get("/users/{id}/role-mappings/clients/{client}", h.listMapped(clientIn("client")))
		r.Post("/users/{id}/role-mappings/clients/{client}", h.addMapped(clientIn("client")))
		r.Delete("/users/{id}/role-mappings/clients/{client}", h.removeMapped(clientIn("client")))
		r.Get("/users/{id}/role-mappings/clients/{client}/available", h.listAvailable(clientIn("client")))
		r.Get("/users/{id}/role-mappings/clients/{client}/composite", h.listEffective(clientIn("client")))
	}

	// Internal routes, for other services only (X-OpenGate-Service-Token;
	// the gateway must not expose /internal).
	router.Group(func(r chi.Router) {
		r.Use(iamhttp.RequireServiceToken(h.serviceToken))
		r.Get("/internal/realms/{realm}/users/{id}/effective-roles", h.internalEffective)
		r.Post("/internal/realms/{realm}/users/{id}/realm-roles", h.internalAssign)
	})
}

// prefixed adds routes under a path prefix to a router.
type prefixed struct {
	r      chi.Router
	prefix string
}

func (p prefixed) Get(path string, h http.HandlerFunc)    { p.r.Get(p.prefix+path, h) }
func (p prefixed) Post(path string, h http.HandlerFunc)   { p.r.Post(p.prefix+path, h) }
func (p prefixed) Put(path string, h http.HandlerFunc)    { p.r.Put(p.prefix+path, h) }
func (p prefixed) Delete(path string, h http.HandlerFunc) { p.r.Delete(p.prefix+path, h) }
