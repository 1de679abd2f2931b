package notifyhttp

import (
	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Mount registers the notify API on r, with absolute paths.
//
// Admin API (behind the admin guard, see WithAdminGuard, with Keycloak's
// realm-management roles of {realm}: the mail log is the realm's events —
// reading it view-events, retrying manage-events; templates and the SMTP
// test are realm settings — reading view-realm, changing or testing
// manage-realm):
//
//	GET    /admin/realms/{realm}/notifications?status=&user=&kind=&first=&max=   [NotificationRepresentation], newest first
//	GET    /admin/realms/{realm}/notifications/{id}                             NotificationRepresentation
//	POST   /admin/realms/{realm}/notifications/{id}/retry                       204: a failed mail is sent again
//	POST   /admin/realms/{realm}/testSMTPConnection                             {smtpServer settings} or none: 204 once
//	                                                                            a test mail reached the caller's address
//	GET    /admin/realms/{realm}/notification-templates                         [TemplateRepresentation] (the overrides)
//	GET    /admin/realms/{realm}/notification-templates/{kind}/{locale}         TemplateRepresentation (override or built-in)
//	PUT    /admin/realms/{realm}/notification-templates/{kind}/{locale}         {subject, html, text}  204
//	DELETE /admin/realms/{realm}/notification-templates/{kind}/{locale}         204
//
// Internal API for the mfa service (X-OpenGate-Service-Token; the gateway
// must not expose it), used by Client:
//
//	POST   /internal/realms/{realm}/notifications/email-otp                    {userId, channel, to, code, expiresAt}  204
//
// Routes are registered with absolute paths in groups (no sub-routers), so
// several services can share one chi router in the all-in-one binary.
func (h *Handler) Mount(r chi.Router) {
	const admin = "/admin/realms/{realm}"
	r.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermViewEvents))
		r.Get(admin+"/notifications", h.list)
		r.Get(admin+"/notifications/{id}", h.get)
	})
	r.With(h.admin.Realm(iam.PermManageEvents)).Post(admin+"/notifications/{id}/retry", h.retry)
	r.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermViewRealm))
		r.Get(admin+"/notification-templates", h.templates)
		r.Get(admin+"/notification-templates/{kind}/{locale}", h.template)
	})
	r.Group(func(r chi.Router) {
		r.Use(h.admin.Realm(iam.PermManageRealm))
		r.Post(admin+"/testSMTPConnection", h.testSMTP)
		r.Put(admin+"/notification-templates/{kind}/{locale}", h.putTemplate)
		r.Delete(admin+"/notification-templates/{kind}/{locale}", h.deleteTemplate)
	})
	r.With(iamhttp.RequireServiceToken(h.serviceToken)).Post("/internal/realms/{realm}/notifications/email-otp", h.emailOTP)
}
