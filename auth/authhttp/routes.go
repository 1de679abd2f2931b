package authhttp

import (
	"github.com/go-chi/chi/v5"
	"github.com/opengate-iam/opengate/iam"
)

// MountPublic registers the public OAuth 2.0 / OpenID Connect endpoints, on
// Keycloak's paths. They authenticate their callers themselves (client
// credentials, or the bearer token of userinfo): mount them outside the
// token-verifying middleware.
//
//	GET  /realms/{realm}/.well-known/openid-configuration
//	GET  /realms/{realm}/protocol/openid-connect/certs
//	POST /realms/{realm}/protocol/openid-connect/token
//	POST /realms/{realm}/protocol/openid-connect/token/introspect
//	POST /realms/{realm}/protocol/openid-connect/revoke
//	GET  /realms/{realm}/protocol/openid-connect/userinfo (and POST)
//	POST /realms/{realm}/protocol/openid-connect/logout
//
// With WithBrowser, the browser sign-in's routes too (see
// authui.Handler.MountPublic), logout among them.
func (h *Handler) MountPublic(r chi.Router) {
	const oidc = "/realms/{realm}/protocol/openid-connect"
	r.Get("/realms/{realm}/.well-known/openid-configuration", h.discovery)
	r.Get(oidc+"/certs", h.certs)
	r.Post(oidc+"/token", h.token)
	r.Post(oidc+"/token/introspect", h.introspect)
	r.Post(oidc+"/revoke", h.revoke)
	r.Get(oidc+"/userinfo", h.userinfo)
	r.Post(oidc+"/userinfo", h.userinfo)
	if h.browser != nil {
		h.browser.MountPublic(r)
		return
	}
	r.Post(oidc+"/logout", h.logout)
}

// Mount registers the admin endpoints, behind the admin guard
// (WithAdminGuard): they need an iam.Principal in the request context (put
// there by auth/authverify's middleware, which must sit in front) holding
// Keycloak's realm-management role of the route in the path's realm:
// rotating keys manage-realm, reading a brute-force status view-users,
// clearing one manage-users.
//
//	POST   /admin/realms/{realm}/keys/rotate
//	GET    /admin/realms/{realm}/attack-detection/brute-force/users/{id}
//	DELETE /admin/realms/{realm}/attack-detection/brute-force/users/{id}
func (h *Handler) Mount(r chi.Router) {
	const admin = "/admin/realms/{realm}"
	r.With(h.admin.Realm(iam.PermManageRealm)).Post(admin+"/keys/rotate", h.rotateKey)
	r.With(h.admin.Realm(iam.PermViewUsers)).Get(admin+"/attack-detection/brute-force/users/{id}", h.bruteForceStatus)
	r.With(h.admin.Realm(iam.PermManageUsers)).Delete(admin+"/attack-detection/brute-force/users/{id}", h.clearBruteForce)
}
