package authhttp

import "github.com/go-chi/chi/v5"

// Routes registers auth's whole HTTP API on r: OIDCRoutes and AdminRoutes.
func (h *Handler) Routes(r chi.Router) {
	h.OIDCRoutes(r)
	h.AdminRoutes(r)
}

// OIDCRoutes registers the public OAuth 2.0 / OpenID Connect endpoints, on
// Keycloak's paths. They authenticate their callers themselves (client
// credentials, or the bearer token of userinfo): do not put a token-verifying
// middleware in front of them.
func (h *Handler) OIDCRoutes(r chi.Router) {
	const oidc = "/realms/{realm}/protocol/openid-connect"
	r.Get("/realms/{realm}/.well-known/openid-configuration", h.discovery)
	r.Get(oidc+"/certs", h.certs)
	r.Post(oidc+"/token", h.token)
	r.Post(oidc+"/token/introspect", h.introspect)
	r.Post(oidc+"/revoke", h.revoke)
	r.Get(oidc+"/userinfo", h.userinfo)
	r.Post(oidc+"/userinfo", h.userinfo)
	r.Post(oidc+"/logout", h.logout)
}

// AdminRoutes registers the admin endpoints. They need an iam.Principal in
// the request context (put there by auth/authverify's middleware) that may
// administer the realm.
func (h *Handler) AdminRoutes(r chi.Router) {
	r.Post("/admin/realms/{realm}/keys/rotate", h.rotateKey)
	r.Get("/admin/realms/{realm}/attack-detection/brute-force/users/{id}", h.bruteForceStatus)
	r.Delete("/admin/realms/{realm}/attack-detection/brute-force/users/{id}", h.clearBruteForce)
}
