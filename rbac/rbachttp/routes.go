package rbachttp

import (
	"context"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/users"
)

// Handler serves rbac's admin API (Keycloak's paths) and its internal API.
// Every admin route sits behind the admin guard's middleware of its group
// (WithAdminGuard, see Mount): 401 without a principal in the request
// context (an upstream middleware puts it there), 403 unless it holds the
// group's administrative role of the path's realm.
type Handler struct {
	svc          *rbac.Service
	serviceToken string
	admin        *iamhttp.AdminGuard
	router       chi.Router
	users        UserGetter // nil: the users of a role are their ids
}

var _ http.Handler = (*Handler)(nil)

// Option configures a Handler.
type Option func(*Handler)

// UserGetter reads a user by id: users.Service in process,
// usershttp.Client in rbac-service.
type UserGetter interface {
	Get(ctx context.Context, realm iam.Realm, id string) (users.User, error)
}

// WithUsers makes GET .../roles/{name}/users answer Keycloak's
// UserRepresentations, read from g (a user deleted since its mapping was
// read is left out). Without it each user is only {"id": ...}: rbac does
// not own users.
func WithUsers(g UserGetter) Option {
	return func(h *Handler) { h.users = g }
}

// WithServiceToken sets the shared secret that callers of the /internal
// routes must send in X-OpenGate-Service-Token (OPENGATE_SERVICE_TOKEN).
// Without it every /internal request is refused with 403.
func WithServiceToken(token string) Option {
	return func(h *Handler) { h.serviceToken = token }
}

// WithAdminGuard sets the guard of the admin routes (default: one that
// trusts the token's roles, iamhttp.NewAdminGuard(nil)). Give every handler
// of a deployment the same guard, with an iamhttp.Standing.
func WithAdminGuard(g *iamhttp.AdminGuard) Option {
	return func(h *Handler) { h.admin = g }
}

// NewHandler returns the admin API (and internal API) of svc.
func NewHandler(svc *rbac.Service, opts ...Option) *Handler {
	h := &Handler{svc: svc, admin: iamhttp.NewAdminGuard(nil)}
	for _, o := range opts {
		o(h)
	}
	h.router = chi.NewRouter()
	h.Mount(h.router)
	return h
}

// ServeHTTP serves the routes Mount lists.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

// mountMappingReads adds the routes reading the role mappings of sub under
// base (".../role-mappings"); {client} is a client UUID.
func (h *Handler) mountMappingReads(r chi.Router, base string, sub subject) {
	r.Get(base, h.getMappings(sub))
	r.Get(base+"/realm", h.listMapped(sub, realmContainer))
	r.Get(base+"/realm/available", h.listAvailable(sub, realmContainer))
	r.Get(base+"/realm/composite", h.listEffective(sub, realmContainer))
	r.Get(base+"/clients/{client}", h.listMapped(sub, clientIn("client")))
	r.Get(base+"/clients/{client}/available", h.listAvailable(sub, clientIn("client")))
	r.Get(base+"/clients/{client}/composite", h.listEffective(sub, clientIn("client")))
}

// mountMappingWrites adds the routes changing the role mappings of sub
// under base.
func (h *Handler) mountMappingWrites(r chi.Router, base string, sub subject) {
	r.Post(base+"/realm", h.addMapped(sub, realmContainer))
	r.Delete(base+"/realm", h.removeMapped(sub, realmContainer))
	r.Post(base+"/clients/{client}", h.addMapped(sub, clientIn("client")))
	r.Delete(base+"/clients/{client}", h.removeMapped(sub, clientIn("client")))
}

// Mount adds rbac's routes to router, which may be a router shared with
// other services: routes are added with absolute paths in groups (no
// sub-router is mounted), and the paths are rbac's alone.
//
// Each group needs the realm-management role Keycloak requires for it
// (iamhttp.AdminGuard.Realm; master's admin and realm-admin do
// everything): listing a realm's or a client's roles, any administrative
// role of the realm; reading realm roles, view-realm, changing them,
// manage-realm; reading client roles, view-clients, changing them,
// manage-clients; a role by id, as its kind (RealmFor); the users of a
// role, also query-users; a client's scope mappings, view-clients,
// changing them, manage-clients; listing groups, query-groups; reading a group,
// its members, a subject's role mappings or groups, view-users; changing
// them, manage-users — and the escalation rule on every change (see
// rbac.Service).
func (h *Handler) Mount(router chi.Router) {
	const admin = "/admin/realms/{realm}"
	realmRole, clientRole, byID := h.realmRoleByName, h.clientRoleByName, h.roleByID

	// Lists of roles: any administrator (Keycloak's roles().requireList).
	router.Group(func(r chi.Router) {
		r.Use(h.admin.RealmAnyAdmin)
		r.Get(admin+"/roles", h.listRoles(realmContainer))
		r.Get(admin+"/clients/{id}/roles", h.listRoles(clientIn("id")))
	})

	// Realm roles, by name.
	router.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermViewRealm))
		r.Get(admin+"/roles/{roleName}", h.getRole(realmRole))
		r.Get(admin+"/roles/{roleName}/composites", h.listComposites(realmRole))
		r.Get(admin+"/roles/{roleName}/composites/realm", h.realmComposites(realmRole))
		r.Get(admin+"/roles/{roleName}/composites/clients/{client}", h.clientComposites(realmRole))
	})
	router.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermManageRealm))
		r.Post(admin+"/roles", h.createRole(realmContainer))
		r.Put(admin+"/roles/{roleName}", h.updateRole(realmRole))
		r.Delete(admin+"/roles/{roleName}", h.deleteRole(realmRole))
		r.Post(admin+"/roles/{roleName}/composites", h.addComposites(realmRole))
		r.Delete(admin+"/roles/{roleName}/composites", h.removeComposites(realmRole))
	})
	router.With(h.admin.Realm(iam.PermViewRealm, iam.PermQueryUsers)).Get(admin+"/roles/{roleName}/users", h.roleUsers(realmRole))

	// Client roles; {id} is the client UUID.
	router.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermViewClients))
		r.Get(admin+"/clients/{id}/roles/{roleName}", h.getRole(clientRole))
		r.Get(admin+"/clients/{id}/roles/{roleName}/composites", h.listComposites(clientRole))
		r.Get(admin+"/clients/{id}/roles/{roleName}/composites/realm", h.realmComposites(clientRole))
		r.Get(admin+"/clients/{id}/roles/{roleName}/composites/clients/{client}", h.clientComposites(clientRole))
	})
	router.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermManageClients))
		r.Post(admin+"/clients/{id}/roles", h.createRole(clientIn("id")))
		r.Put(admin+"/clients/{id}/roles/{roleName}", h.updateRole(clientRole))
		r.Delete(admin+"/clients/{id}/roles/{roleName}", h.deleteRole(clientRole))
		r.Post(admin+"/clients/{id}/roles/{roleName}/composites", h.addComposites(clientRole))
		r.Delete(admin+"/clients/{id}/roles/{roleName}/composites", h.removeComposites(clientRole))
	})
	router.With(h.admin.Realm(iam.PermViewClients, iam.PermQueryUsers)).Get(admin+"/clients/{id}/roles/{roleName}/users", h.roleUsers(clientRole))

	// Scope mappings of a client ({id}, its UUID): the roles its tokens may
	// carry when it does not allow full scope. {client} is the client
	// whose roles are mapped. Reads view-clients, changes manage-clients
	// (Keycloak's canMapClientScope; no escalation rule: see rbac/scope.go).
	router.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermViewClients))
		h.mountMappingReads(r, admin+"/clients/{id}/scope-mappings", scopeSubject())
	})
	router.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermManageClients))
		h.mountMappingWrites(r, admin+"/clients/{id}/scope-mappings", scopeSubject())
	})

	// Any role, by id (the admin client uses these for composites): a realm
	// role as realm roles, a client role as client roles.
	router.Group(func(r chi.Router) {
		r.Use(h.admin.RealmFor(h.roleByIDNeeds(iam.PermViewRealm, iam.PermViewClients)))
		r.Get(admin+"/roles-by-id/{roleID}", h.getRole(byID))
		r.Get(admin+"/roles-by-id/{roleID}/composites", h.listComposites(byID))
		r.Get(admin+"/roles-by-id/{roleID}/composites/realm", h.realmComposites(byID))
		r.Get(admin+"/roles-by-id/{roleID}/composites/clients/{client}", h.clientComposites(byID))
	})
	router.Group(func(r chi.Router) {
		r.Use(h.admin.RealmFor(h.roleByIDNeeds(iam.PermManageRealm, iam.PermManageClients)))
		r.Put(admin+"/roles-by-id/{roleID}", h.updateRole(byID))
		r.Delete(admin+"/roles-by-id/{roleID}", h.deleteRole(byID))
		r.Post(admin+"/roles-by-id/{roleID}/composites", h.addComposites(byID))
		r.Delete(admin+"/roles-by-id/{roleID}/composites", h.removeComposites(byID))
	})

	// Listing groups: query-groups (which view-users and manage-users
	// imply), as Keycloak's groups().requireList.
	router.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermQueryGroups))
		r.Get(admin+"/groups", h.listGroups)
		r.Get(admin+"/groups/count", h.countGroups)
	})

	// Role mappings of a user, or of a client's service account
	// ({id} = "service-account-{clientUUID}"), and of a group ({groupId});
	// groups, their members, and the groups of a user.
	router.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermViewUsers))
		h.mountMappingReads(r, admin+"/users/{id}/role-mappings", userSubject())
		h.mountMappingReads(r, admin+"/groups/{groupId}/role-mappings", groupSubject())
		r.Get(admin+"/groups/{groupId}", h.getGroup)
		r.Get(admin+"/groups/{groupId}/children", h.listChildren)
		r.Get(admin+"/groups/{groupId}/members", h.groupMembers)
		r.Get(admin+"/group-by-path/*", h.groupByPath)
		r.Get(admin+"/users/{id}/groups", h.userGroups)
		r.Get(admin+"/users/{id}/groups/count", h.userGroupCount)
	})
	router.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermManageUsers))
		h.mountMappingWrites(r, admin+"/users/{id}/role-mappings", userSubject())
		h.mountMappingWrites(r, admin+"/groups/{groupId}/role-mappings", groupSubject())
		r.Post(admin+"/groups", h.createGroup)
		r.Put(admin+"/groups/{groupId}", h.updateGroup)
		r.Delete(admin+"/groups/{groupId}", h.deleteGroup)
		r.Post(admin+"/groups/{groupId}/children", h.createChild)
		r.Put(admin+"/users/{id}/groups/{groupId}", h.joinGroup)
		r.Delete(admin+"/users/{id}/groups/{groupId}", h.leaveGroup)
	})

	// Internal routes, for other services only (X-OpenGate-Service-Token;
	// the gateway must not expose /internal).
	router.Group(func(r chi.Router) {
		r.Use(iamhttp.RequireServiceToken(h.serviceToken))
		r.Get("/internal/realms/{realm}/users/{id}/effective-roles", h.internalEffective)
		r.Post("/internal/realms/{realm}/users/{id}/realm-roles", h.internalAssign)
		r.Get("/internal/realms/{realm}/users/{id}/group-paths", h.internalGroupPaths)
		r.Get("/internal/realms/{realm}/clients/{id}/scope-roles", h.internalScope)
	})
	// The realm service's imports and exports, for the caller whose token
	// it forwards: behind the admin guard too.
	// Roles are managed with the realm, mappings and groups with the users.
	router.With(iamhttp.RequireServiceToken(h.serviceToken), h.admin.Realm(iam.PermManageRealm, iam.PermManageUsers)).
		Post("/internal/realms/{realm}/roles/import", h.internalImport)
	router.With(iamhttp.RequireServiceToken(h.serviceToken), h.admin.Realm(iam.PermViewRealm, iam.PermViewUsers)).
		Post("/internal/realms/{realm}/roles/export", h.internalExport)
}
