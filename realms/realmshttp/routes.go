package realmshttp

import (
	"github.com/go-chi/chi/v5"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Mount registers the realms API on r, with absolute paths:
//
//	GET    /admin/realms             list the realms the caller administers  (any administrator)
//	POST   /admin/realms             create          201 + Location          (master administrators)
//	GET    /admin/realms/{realm}     read            RealmRepresentation     (any administrator of {realm};
//	                                                                          its name only without view-realm)
//	PUT    /admin/realms/{realm}     partial update  204                     (manage-realm of {realm})
//	DELETE /admin/realms/{realm}     delete          204; master itself 400  (master administrators)
//	GET    /internal/realms/{realm}  read for other services, with the SMTP
//	                                 password; X-OpenGate-Service-Token only
//	GET    /internal/realms          {"realms": [names]}, for start-up work
//	                                 over every realm; X-OpenGate-Service-Token only
//
// With WithTransfer, POST /admin/realms takes a whole RealmRepresentation
// (Keycloak's realm export: Transfer.ImportRealm) and answers its
// ImportReport, and these are served too:
//
//	POST   /admin/realms/{realm}/partialImport   Keycloak's partialImport      {overwritten, added, skipped, results}  (manage-realm)
//	POST   /admin/realms/{realm}/partial-export  ?exportClients=&exportGroupsAndRoles=   RealmRepresentation, secrets masked (view-realm)
//
// Each admin route sits behind the admin guard's middleware for its group
// (WithAdminGuard), which reads the caller from iam.PrincipalFrom (put there
// by the token-verifying middleware in front); /internal must not be exposed
// by the gateway.
func (h *Handler) Mount(r chi.Router) {
	r.With(h.admin.AnyAdmin).Get("/admin/realms", h.list)
	r.Group(func(r chi.Router) {
		r.Use(h.admin.MasterAdmin)
		r.Post("/admin/realms", h.create)
		r.Delete("/admin/realms/{realm}", h.delete)
	})
	r.With(h.admin.RealmAnyAdmin).Get("/admin/realms/{realm}", h.get)
	r.With(h.admin.Realm(iam.PermManageRealm)).Put("/admin/realms/{realm}", h.update)
	if h.transfer != nil {
		// Keycloak's: partialImport needs manage-realm (each service then
		// authorizes its part as its admin API does), partial-export
		// view-realm.
		r.With(h.admin.Realm(iam.PermManageRealm)).Post("/admin/realms/{realm}/partialImport", h.partialImport)
		r.With(h.admin.Realm(iam.PermViewRealm)).Post("/admin/realms/{realm}/partial-export", h.partialExport)
	}

	r.Group(func(r chi.Router) {
		r.Use(iamhttp.RequireServiceToken(h.serviceToken))
		r.Get("/internal/realms/{realm}", h.internalGet)
		r.Get("/internal/realms", h.internalNames)
	})
}
