package usershttp

import (
	"github.com/go-chi/chi/v5"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Mount registers the users API on r, with absolute paths.
//
// Admin API (Keycloak-compatible; behind the admin guard, see
// WithAdminGuard: the caller needs, in {realm}, Keycloak's realm-management
// role of each route's group — searching and counting query-users,
// reading a user view-users, changing one manage-users, importing users
// (the internal import route, for the realm service's partialImport)
// manage-users; manage implies view implies query, and master's admin and
// realm-admin do everything):
//
//	GET    /admin/realms/{realm}/users                 search: search, username, email, firstName,
//	                                                   lastName, exact, enabled, emailVerified,
//	                                                   q=key:value, first, max (default 100, cap 1000)
//	POST   /admin/realms/{realm}/users                 create (with credentials)         201 + Location
//	GET    /admin/realms/{realm}/users/count           same filters                      bare number
//	GET    /admin/realms/{realm}/users/{id}            UserRepresentation
//	PUT    /admin/realms/{realm}/users/{id}            partial update                    204
//	DELETE /admin/realms/{realm}/users/{id}                                              204
//	PUT    /admin/realms/{realm}/users/{id}/reset-password         {type, value, temporary} 204
//	GET    /admin/realms/{realm}/users/{id}/credentials            [{id,type,createdDate,userLabel}]
//	DELETE /admin/realms/{realm}/users/{id}/credentials/{credId}                         204
//	PUT    /admin/realms/{realm}/users/{id}/send-verify-email      ?lifespan=            204
//	PUT    /admin/realms/{realm}/users/{id}/execute-actions-email  ["UPDATE_PASSWORD"] ?lifespan= 204
//
// Public login actions (no authentication; the key is the credential):
//
//	GET    /realms/{realm}/login-actions/verify-email?key=            verify an email address
//	GET    /realms/{realm}/login-actions/reset-credentials[?key=]     HTML forms
//	POST   /realms/{realm}/login-actions/reset-credentials            {username} or {email}: 200 whether or not the user
//	                                                                  exists; 429 + Retry-After beyond the limits
//	POST   /realms/{realm}/login-actions/reset-credentials/complete   {key, password}        204
//
// Self-service account API (the caller's own user, from the principal):
//
//	GET    /realms/{realm}/account                                    AccountRepresentation
//	POST   /realms/{realm}/account                                    update (username immutable) 204
//	POST   /realms/{realm}/account/credentials/password               {currentPassword, newPassword, confirmation} 200 {otherSessionsSignedOut, message}
//
// Internal API for other services (X-OpenGate-Service-Token; the gateway
// must not expose it), used by Client:
//
//	POST   /internal/realms/{realm}/users/authenticate               {username, password} → user or 401 with reason
//	POST   /internal/realms/{realm}/users/find                       {username} (username or email) → user
//	POST   /internal/realms/{realm}/users/by-username                {username} → user
//	GET    /internal/realms/{realm}/users/{id}                       user
//	POST   /internal/realms/{realm}/users/{id}/complete-action       {action} → 204 (the MFA service: CONFIGURE_TOTP)
//	POST   /internal/realms/{realm}/users/{id}/send-verify-email     ?lifespan=  204 (the notify service,
//	                                                                 for new users with VERIFY_EMAIL; the login pages)
//	POST   /internal/realms/{realm}/users/import                     ImportRequest → partialImport results (the realm
//	                                                                 service's imports; also behind the admin guard:
//	                                                                 the realm service forwards its caller's token)
//
// and for the browser sign-in (auth-service's login and account pages, acting
// for a signed-in user; keepSessionId is the session a password change keeps,
// ip the address its failures count from):
//
//	POST   /internal/realms/{realm}/users/register                   {username, email, firstName, lastName, password} → 201 user
//	POST   /internal/realms/{realm}/users/{id}/account               {email, firstName, lastName} → user
//	POST   /internal/realms/{realm}/users/{id}/password/change       {currentPassword, password, keepSessionId, ip} → 204
//	POST   /internal/realms/{realm}/users/{id}/password/update       {password, keepSessionId} → 204 (UPDATE_PASSWORD)
//
// The admin and account routes read the caller from iam.PrincipalFrom (put
// there by the token-verifying middleware in front).
//
// Routes are registered with absolute paths in groups (no sub-routers), so
// several services can share one chi router in the all-in-one binary.
func (h *Handler) Mount(r chi.Router) {
	const admin = "/admin/realms/{realm}"
	r.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermQueryUsers))
		r.Get(admin+"/users", h.list)
		r.Get(admin+"/users/count", h.count)
	})
	r.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermViewUsers))
		r.Get(admin+"/users/{id}", h.get)
		r.Get(admin+"/users/{id}/credentials", h.credentials)
	})
	r.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermManageUsers))
		r.Post(admin+"/users", h.create)
		r.Put(admin+"/users/{id}", h.update)
		r.Delete(admin+"/users/{id}", h.delete)
		r.Put(admin+"/users/{id}/reset-password", h.resetPassword)
		r.Delete(admin+"/users/{id}/credentials/{credId}", h.deleteCredential)
		r.Put(admin+"/users/{id}/send-verify-email", h.sendVerifyEmail)
		r.Put(admin+"/users/{id}/execute-actions-email", h.executeActionsEmail)
	})

	const public = "/realms/{realm}"
	r.Get(public+"/login-actions/verify-email", h.verifyEmail)
	r.Get(public+"/login-actions/reset-credentials", h.resetForm)
	r.Post(public+"/login-actions/reset-credentials", h.requestReset)
	r.Post(public+"/login-actions/reset-credentials/complete", h.completeReset)
	r.Get(public+"/account", h.account)
	r.Post(public+"/account", h.updateAccount)
	r.Post(public+"/account/credentials/password", h.changePassword)

	const internal = "/internal/realms/{realm}/users"
	r.Group(func(r chi.Router) {
		r.Use(iamhttp.RequireServiceToken(h.serviceToken))
		r.Post(internal+"/authenticate", h.internalAuthenticate)
		r.Post(internal+"/find", h.internalFind)
		r.Post(internal+"/by-username", h.internalByUsername)
		r.Get(internal+"/{id}", h.internalGet)
		r.Post(internal+"/{id}/complete-action", h.internalCompleteAction)
		r.Post(internal+"/{id}/send-verify-email", h.sendVerifyEmail)
		r.Post(internal+"/register", h.internalRegister)
		r.Post(internal+"/{id}/account", h.internalUpdateAccount)
		r.Post(internal+"/{id}/password/change", h.internalChangePassword)
		r.Post(internal+"/{id}/password/update", h.internalUpdatePassword)
	})
	r.With(iamhttp.RequireServiceToken(h.serviceToken), h.admin.Realm(iam.PermManageUsers)).Post(internal+"/import", h.internalImport)
}
