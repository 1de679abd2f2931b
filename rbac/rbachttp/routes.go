package rbachttp

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/rbac"
)

// Handler serves rbac's admin API (Keycloak's paths). Every endpoint requires
// a principal that may administer the path's realm (iamhttp.AdminRealm:
// 401 without one, 403 otherwise); an upstream middleware puts it in the
// request context.
type Handler struct {
	svc    *rbac.Service
	router chi.Router
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns the admin API of svc.
func NewHandler(svc *rbac.Service) *Handler {
	h := &Handler{svc: svc, router: chi.NewRouter()}
	h.Register(h.router)
	return h
}

// ServeHTTP serves the routes Register lists.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

// Register adds rbac's routes to r, which may be a router shared with other
// services: each route is added with its full path (no sub-router is
// mounted), and the paths are rbac's alone.
func (h *Handler) Register(router chi.Router) {
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
		r.Get("/roles/{roleName}/composites/clients/{client}", h.clientComposites(realmRole, "client"))
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
		r.Get("/roles-by-id/{roleID}/composites/clients/{client}", h.clientComposites(byID, "client"))

		// Client roles; {client} is the client UUID.
		clientRole := h.clientRoleByName
		r.Get("/clients/{client}/roles", h.listRoles(clientContainer))
		r.Post("/clients/{client}/roles", h.createRole(clientContainer))
		r.Get("/clients/{client}/roles/{roleName}", h.getRole(clientRole))
		r.Put("/clients/{client}/roles/{roleName}", h.updateRole(clientRole))
		r.Delete("/clients/{client}/roles/{roleName}", h.deleteRole(clientRole))
		r.Get("/clients/{client}/roles/{roleName}/composites", h.listComposites(clientRole))
		r.Post("/clients/{client}/roles/{roleName}/composites", h.addComposites(clientRole))
		r.Delete("/clients/{client}/roles/{roleName}/composites", h.removeComposites(clientRole))
		r.Get("/clients/{client}/roles/{roleName}/composites/realm", h.realmComposites(clientRole))
		r.Get("/clients/{client}/roles/{roleName}/composites/clients/{client2}", h.clientComposites(clientRole, "client2"))
		r.Get("/clients/{client}/roles/{roleName}/users", h.roleUsers(clientRole))

		// Role mappings of a user, or of a client's service account
		// ({user} = "service-account-{clientUUID}").
		r.Get("/users/{user}/role-mappings", h.getMappings)
		r.Get("/users/{user}/role-mappings/realm", h.listMapped(realmContainer))
		r.Post("/users/{user}/role-mappings/realm", h.addMapped(realmContainer))
		r.Delete("/users/{user}/role-mappings/realm", h.removeMapped(realmContainer))
		r.Get("/users/{user}/role-mappings/realm/available", h.listAvailable(realmContainer))
		r.Get("/users/{user}/role-mappings/realm/composite", h.listEffective(realmContainer))
		r.Get("/users/{user}/role-mappings/clients/{client}", h.listMapped(clientContainer))
		r.Post("/users/{user}/role-mappings/clients/{client}", h.addMapped(clientContainer))
		r.Delete("/users/{user}/role-mappings/clients/{client}", h.removeMapped(clientContainer))
		r.Get("/users/{user}/role-mappings/clients/{client}/available", h.listAvailable(clientContainer))
		r.Get("/users/{user}/role-mappings/clients/{client}/composite", h.listEffective(clientContainer))
		// OpenGate: the effective role names auth puts in tokens.
		r.Get("/users/{user}/role-mappings/effective", h.getEffective)
	}
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
