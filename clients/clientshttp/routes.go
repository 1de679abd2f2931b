package clientshttp

import (
	"github.com/go-chi/chi/v5"
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
//
// The admin routes read the caller from iam.PrincipalFrom (put there by the
// token-verifying middleware in front) and need admin rights on the realm.
func (h *Handler) Mount(r chi.Router) {
	r.Get("/admin/realms/{realm}/clients", h.list)
	r.Post("/admin/realms/{realm}/clients", h.create)
	r.Get("/admin/realms/{realm}/clients/{id}", h.get)
	r.Put("/admin/realms/{realm}/clients/{id}", h.update)
	r.Delete("/admin/realms/{realm}/clients/{id}", h.delete)
	r.Get("/admin/realms/{realm}/clients/{id}/client-secret", h.getSecret)
	r.Post("/admin/realms/{realm}/clients/{id}/client-secret", h.rotateSecret)

	r.Group(func(r chi.Router) {
		r.Use(iamhttp.RequireServiceToken(h.serviceToken))
		r.Get("/internal/realms/{realm}/clients/{id}", h.internalGet)
		r.Get("/internal/realms/{realm}/clients", h.internalGetByClientID)
		r.Post("/internal/realms/{realm}/clients/authenticate", h.internalAuthenticate)
	})
}
