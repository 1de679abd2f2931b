package realmshttp

import (
	"github.com/go-chi/chi/v5"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Mount registers the realms API on r, with absolute paths:
//
//	GET    /admin/realms             list the realms the caller administers
//	POST   /admin/realms             create (master administrators)      201 + Location
//	GET    /admin/realms/{realm}     read                                RealmRepresentation
//	PUT    /admin/realms/{realm}     partial update                      204
//	DELETE /admin/realms/{realm}     delete (master administrators;      204
//	                                 master itself: 400)
//	GET    /internal/realms/{realm}  read for other services, with the SMTP
//	                                 password; X-OpenGate-Service-Token only
//
// The admin routes read the caller from iam.PrincipalFrom (put there by the
// token-verifying middleware in front); /internal must not be exposed by the
// gateway.
func (h *Handler) Mount(r chi.Router) {
	r.Get("/admin/realms", h.list)
	r.Post("/admin/realms", h.create)
	r.Get("/admin/realms/{realm}", h.get)
	r.Put("/admin/realms/{realm}", h.update)
	r.Delete("/admin/realms/{realm}", h.delete)

	r.With(iamhttp.RequireServiceToken(h.serviceToken)).Get("/internal/realms/{realm}", h.internalGet)
}
