package mfahttp

import (
	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Mount registers the MFA API on r, with absolute paths.
//
// Self-service account API (the caller's own user, from the principal; 401
// without one, 404 for a principal of another realm). Answers that carry a
// secret are sent with Cache-Control: no-store.
//
//	GET    /realms/{realm}/account/mfa                    {factors: [FactorRepresentation]}
//	POST   /realms/{realm}/account/mfa/totp               {userLabel?} → EnrolmentRepresentation (secret, otpauthUri, qrCode)
//	POST   /realms/{realm}/account/mfa/totp/confirm       {factorId, code} → FactorRepresentation
//	DELETE /realms/{realm}/account/mfa/{factorId}                                   204
//	POST   /realms/{realm}/account/mfa/recovery-codes     → {codes: [10 codes]}, shown once
//
// Admin API (behind the admin guard, see WithAdminGuard: reading needs
// view-users of {realm}'s realm-management roles, ending a lockout
// manage-users). Removing a factor is Keycloak's
// DELETE /admin/realms/{realm}/users/{id}/credentials/{credId}, served by
// the users service, which applies its rule on administrators' accounts.
//
//	GET    /admin/realms/{realm}/users/{id}/mfa           {factors: [FactorRepresentation]}
//	GET    /admin/realms/{realm}/users/{id}/mfa-lockout   {numFailures, disabled, lastFailure}
//	DELETE /admin/realms/{realm}/users/{id}/mfa-lockout   end a lockout              204
//
// Internal API for other services (X-OpenGate-Service-Token; the gateway
// must not expose it), used by Client:
//
//	GET    /internal/realms/{realm}/mfa/users/{id}/factors                  [FactorRepresentation]
//	POST   /internal/realms/{realm}/mfa/users/{id}/verify                   {code} → {method} or 401 {reason}
//	POST   /internal/realms/{realm}/mfa/users/{id}/email-otp                {email} → 204, 429 + Retry-After
//	GET    /internal/realms/{realm}/mfa/users/{id}/credentials              [{id,type,userLabel,createdDate}]
//	DELETE /internal/realms/{realm}/mfa/users/{id}/credentials/{credId}     204
//	POST   /internal/realms/{realm}/mfa/users/{id}/totp                     {accountName, userLabel} → EnrolmentRepresentation (no-store)
//	POST   /internal/realms/{realm}/mfa/users/{id}/totp/confirm             {factorId, code} → FactorRepresentation
//	POST   /internal/realms/{realm}/mfa/users/{id}/recovery-codes           → {codes} (no-store)
//
// (the last three for auth-service's login and account pages).
//
// Routes are registered with absolute paths in groups (no sub-routers), so
// several services can share one chi router in the all-in-one binary.
func (h *Handler) Mount(r chi.Router) {
	const account = "/realms/{realm}/account/mfa"
	r.Get(account, h.accountFactors)
	r.Post(account+"/totp", h.startTOTP)
	r.Post(account+"/totp/confirm", h.confirmTOTP)
	r.Delete(account+"/{factorId}", h.deleteOwnFactor)
	r.Post(account+"/recovery-codes", h.recoveryCodes)

	const admin = "/admin/realms/{realm}/users/{id}"
	r.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermViewUsers))
		r.Get(admin+"/mfa", h.adminFactors)
		r.Get(admin+"/mfa-lockout", h.lockout)
	})
	r.With(h.admin.Realm(iam.PermManageUsers)).Delete(admin+"/mfa-lockout", h.clearLockout)

	const internal = "/internal/realms/{realm}/mfa/users/{id}"
	r.Group(func(r chi.Router) {
		r.Use(iamhttp.RequireServiceToken(h.serviceToken))
		r.Get(internal+"/factors", h.internalFactors)
		r.Post(internal+"/verify", h.internalVerify)
		r.Post(internal+"/email-otp", h.internalSendEmailOTP)
		r.Get(internal+"/credentials", h.internalCredentials)
		r.Delete(internal+"/credentials/{credId}", h.internalDeleteCredential)
		r.Post(internal+"/totp", h.internalStartTOTP)
		r.Post(internal+"/totp/confirm", h.internalConfirmTOTP)
		r.Post(internal+"/recovery-codes", h.internalRecoveryCodes)
	})
}
