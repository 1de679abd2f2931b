package sessionhttp

import (
	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Mount registers the sessions API on r, with absolute paths.
//
// Admin API (Keycloak's paths and UserSessionRepresentation; behind the
// admin guard, see WithAdminGuard, with Keycloak's realm-management roles of
// {realm}: a user's sessions view-users, ending sessions manage-users, a
// client's sessions view-clients, the realm's statistics view-realm):
//
//	GET    /admin/realms/{realm}/users/{id}/sessions            [UserSessionRepresentation] of the user
//	POST   /admin/realms/{realm}/users/{id}/logout              end the user's sessions       204
//	DELETE /admin/realms/{realm}/sessions/{sid}                 end one session               204, 404
//	POST   /admin/realms/{realm}/logout-all                     end every session of the realm {}
//	GET    /admin/realms/{realm}/clients/{id}/user-sessions     ?first=&max= [UserSessionRepresentation]
//	                                                            of the sessions client {id} (UUID) used
//	GET    /admin/realms/{realm}/clients/{id}/session-count     {"count": n}
//	GET    /admin/realms/{realm}/client-session-stats           [{id, clientId, active, offline}]
//
// Self-service account API (the caller's own sessions, from the principal):
//
//	GET    /realms/{realm}/account/sessions                     [SessionRepresentation]
//	DELETE /realms/{realm}/account/sessions/{sid}               end one of them   204; another's: 404
//
// Internal API for auth (X-OpenGate-Service-Token; the gateway must not
// expose it), used by Client:
//
//	GET    /internal/realms/{realm}/sessions/{sid}/alive        {"alive": bool}
//	POST   /internal/realms/{realm}/sessions/{sid}/touch        {"alive": bool}, recording a use
//
// and for auth-service's account pages:
//
//	GET    /internal/realms/{realm}/sessions/by-user/{id}        [InternalSession]: the user's active sessions
//	DELETE /internal/realms/{realm}/sessions/by-user/{id}/{sid}  204; 404 when the user has no such session
//
// Routes are registered with absolute paths in groups (no sub-routers), so
// several services can share one chi router in the all-in-one binary.
func (h *Handler) Mount(r chi.Router) {
	const admin = "/admin/realms/{realm}"
	r.With(h.admin.Realm(iam.PermViewUsers)).Get(admin+"/users/{id}/sessions", h.userSessions)
	r.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermManageUsers))
		r.Post(admin+"/users/{id}/logout", h.logoutUser)
		r.Delete(admin+"/sessions/{sid}", h.deleteSession)
		r.Post(admin+"/logout-all", h.logoutAll)
	})
	r.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermViewClients))
		r.Get(admin+"/clients/{id}/user-sessions", h.clientSessions)
		r.Get(admin+"/clients/{id}/session-count", h.clientSessionCount)
	})
	r.With(h.admin.Realm(iam.PermViewRealm)).Get(admin+"/client-session-stats", h.clientSessionStats)

	const account = "/realms/{realm}/account/sessions"
	r.Get(account, h.accountSessions)
	r.Delete(account+"/{sid}", h.deleteAccountSession)

	const internal = "/internal/realms/{realm}/sessions/{sid}"
	r.Group(func(r chi.Router) {
		r.Use(iamhttp.RequireServiceToken(h.serviceToken))
		r.Get(internal+"/alive", h.internalAlive)
		r.Post(internal+"/touch", h.internalTouch)
		r.Get("/internal/realms/{realm}/sessions/by-user/{id}", h.internalUserSessions)
		r.Delete("/internal/realms/{realm}/sessions/by-user/{id}/{sid}", h.internalTerminateOwn)
	})
}
