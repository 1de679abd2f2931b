package clientshttp

import (
	"github.com/go-chi/chi/v5"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Mount registers the clients API on r, with absolute paths:
//
//	GET    /admin/realms/{realm}/clients?clientId=&search=&first=&max=   list        [ClientRepresentation]
//	POST   /admin/realms/{realm}/clients                              create      201 + Location
//	GET    /admin/realms/{realm}/clients/{id}                         read        ClientRepresentation
//	PUT    /admin/realms/{realm}/clients/{id}                         partial update  204
//	DELETE /admin/realms/{realm}/clients/{id}                         delete      204
//	GET    /admin/realms/{realm}/clients/{id}/client-secret           the secret  {"type":"secret","value":...}
//	POST   /admin/realms/{realm}/clients/{id}/client-secret           rotate      {"type":"secret","value":...}
//
// Internal routes, for other services only (X-OpenGate-Service-Token; the
// gateway must not expose /internal):
//
//	GET    /internal/realms/{realm}/clients/{id}                      ClientRepresentation
//	GET    /internal/realms/{realm}/clients?clientId=                 ClientRepresentation (exact clientId) or 404
//	POST   /internal/realms/{realm}/clients/authenticate              {"clientId","secret"} → ClientRepresentation or 401
//	GET    /internal/realms/{realm}/web-origins                       {"origins": [...]} of the enabled clients ("+" resolved)
//	POST   /internal/realms/{realm}/clients/import                    ImportRequest → ImportResults   (the realm
//	GET    /internal/realms/{realm}/clients/export                    [ClientRepresentation], secrets masked   service's
//	                                                                  imports and exports; also behind the admin guard:
//	                                                                  the realm service forwards its caller's token)
//
// The admin routes sit behind the admin guard (WithAdminGuard): the caller,
// read from iam.PrincipalFrom (put there by the token-verifying middleware
// in front), needs Keycloak's realm-management role of each route's group
// in {realm}: listing query-clients, reading a client view-clients,
// creating one create-client, changing one, reading or rotating its secret
// manage-clients (Keycloak lets view-clients read the secret; OpenGate
// does not: it is the service account's credential). manage implies view
// implies query; master's admin and realm-admin do everything.
func (h *Handler) Mount(r chi.Router) {
	const admin = "/admin/realms/{realm}/clients"
	r.With(h.admin.Realm(iam.PermQueryClients)).Get(admin, h.list)
	r.With(h.admin.Realm(iam.PermCreateClient)).Post(admin, h.create)
	r.With(h.admin.Realm(iam.PermViewClients)).Get(admin+"/{id}", h.get)
	r.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermManageClients))
		r.Put(admin+"/{id}", h.update)
		r.Delete(admin+"/{id}", h.delete)
		r.Get(admin+"/{id}/client-secret", h.getSecret)
		r.Post(admin+"/{id}/client-secret", h.rotateSecret)
	})

	r.Group(func(r chi.Router) {
		r.Use(iamhttp.RequireServiceToken(h.serviceToken))
		r.Get("/internal/realms/{realm}/clients/{id}", h.internalGet)
		r.Get("/internal/realms/{realm}/clients", h.internalGetByClientID)
		r.Post("/internal/realms/{realm}/clients/authenticate", h.internalAuthenticate)
		r.Get("/internal/realms/{realm}/web-origins", h.internalWebOrigins)
	})
	r.With(iamhttp.RequireServiceToken(h.serviceToken), h.admin.Realm(iam.PermManageClients)).
		Post("/internal/realms/{realm}/clients/import", h.internalImport)
	r.With(iamhttp.RequireServiceToken(h.serviceToken), h.admin.Realm(iam.PermViewClients)).
		Get("/internal/realms/{realm}/clients/export", h.internalExport)
}
