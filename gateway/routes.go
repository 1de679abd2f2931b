package gateway

import (
	"net/http"

	"github.com/opengate-iam/opengate/iam"
)

// Upstreams are the services the default route table sends requests to.
type Upstreams struct {
	// Auth, Realms, Users, RBAC and Clients are required.
	Auth, Realms, Users, RBAC, Clients *Upstream
	// Session, MFA and Notify are optional: without one, its routes are
	// left out (404 at the gateway).
	Session, MFA, Notify *Upstream
	// Fallback, when set, serves what no other route matches under /admin
	// (Protected) and under /realms/{realm} (Optional). The all-in-one,
	// which serves every route itself, sets it, so a route a service adds
	// is reachable, authenticated, before this table names it; the
	// microservices leave it nil.
	Fallback *Upstream
}

// MaxImportBodyBytes is the body limit of the imports (POST /admin/realms,
// partialImport): the realm service's own.
const MaxImportBodyBytes = 64 << 20

// DefaultRoutes returns OpenGate's public API (Keycloak's paths) as a route
// table over u:
//
//	Public, auth:    /realms/{realm}/.well-known/*
//	                 /realms/{realm}/protocol/openid-connect/*        (certs, userinfo, introspect, revoke, logout, ...)
//	                 /realms/{realm}/protocol/openid-connect/token     (RateLogin)
//	                 /realms/{realm}/protocol/openid-connect/auth/*   (RateLogin; the browser sign-in)
//	                 /realms/{realm}/login-actions/*                  (RateLogin; the login pages)
//	                 /resources/*                                     (the login pages' assets)
//	Public, users:   /realms/{realm}/login-actions/verify-email, /reset-credentials/*   (RateLogin; the link's key authenticates)
//	Optional, users: /realms/{realm}/account/*                        (the account API: a token)
//	Optional, auth:  /realms/{realm}/account/profile, /password, /security/*, /devices/*
//	                                                                  (the account pages: their session cookie)
//	Optional:        /realms/{realm}/account/sessions/* (session), /account/mfa/* (mfa)
//	Protected:       /admin/realms (a realm import: up to MaxImportBodyBytes), /admin/realms/{realm},
//	                 /partialImport (up to MaxImportBodyBytes), /partial-export (realms)
//	                 /admin/realms/{realm}/users/* (users)
//	                 .../users/{id}/role-mappings/*, .../roles/*, .../roles-by-id/*, .../clients/{id}/roles/*,
//	                 .../clients/{id}/scope-mappings/*, .../groups/*, .../group-by-path/*, .../users/{id}/groups/* (rbac)
//	                 .../clients/* (clients)
//	                 .../keys/*, .../attack-detection/* (auth)
//	                 .../users/{id}/mfa, .../users/{id}/mfa-lockout (mfa; a user's credentials,
//	                 second factors among them, are the users service's)
//	                 .../users/{id}/sessions, .../users/{id}/logout, .../sessions/*, .../logout-all,
//	                 .../clients/{id}/user-sessions, .../clients/{id}/session-count,
//	                 .../client-session-stats (session)
//	                 .../notifications/*, .../testSMTPConnection, .../notification-templates/* (notify)
//
// /internal is never routed: the services' internal API stays internal.
// With u.Fallback, /admin/* (Protected) and /realms/{realm}/* (Optional)
// go there. Missing required upstreams are an error.
func DefaultRoutes(u Upstreams) ([]Route, error) {
	for name, up := range map[string]*Upstream{"auth": u.Auth, "realms": u.Realms, "users": u.Users, "rbac": u.RBAC, "clients": u.Clients} {
		if up == nil {
			return nil, iam.Invalidf("upstreams", "gateway: the %s upstream is required", name)
		}
	}
	const (
		realm = "/realms/{realm}"
		oidc  = realm + "/protocol/openid-connect"
		admin = "/admin/realms/{realm}"
	)
	rs := []Route{
		{Path: realm + "/.well-known/*", Upstream: u.Auth, Access: Public},
		{Path: oidc + "/*", Upstream: u.Auth, Access: Public},
		{Path: oidc + "/token", Upstream: u.Auth, Access: Public, Rate: RateLogin},
		{Path: oidc + "/auth/*", Upstream: u.Auth, Access: Public, Rate: RateLogin},
		{Path: realm + "/login-actions/*", Upstream: u.Auth, Access: Public, Rate: RateLogin},
		{Path: "/resources/*", Upstream: u.Auth, Access: Public},
		{Path: realm + "/login-actions/verify-email", Upstream: u.Users, Access: Public, Rate: RateLogin},
		{Path: realm + "/login-actions/reset-credentials/*", Upstream: u.Users, Access: Public, Rate: RateLogin},
		{Path: realm + "/account/*", Upstream: u.Users, Access: Optional},
		// The browser's account pages (auth/authui), signed in by their
		// session cookie.
		{Path: realm + "/account/profile", Upstream: u.Auth, Access: Optional},
		{Path: realm + "/account/password", Upstream: u.Auth, Access: Optional},
		{Path: realm + "/account/security/*", Upstream: u.Auth, Access: Optional},
		{Path: realm + "/account/devices/*", Upstream: u.Auth, Access: Optional},

		{Path: "/admin/realms", Upstream: u.Realms, MaxBodyBytes: MaxImportBodyBytes},
		{Path: admin, Upstream: u.Realms},
		{Path: admin + "/partialImport", Upstream: u.Realms, MaxBodyBytes: MaxImportBodyBytes},
		{Path: admin + "/partial-export", Upstream: u.Realms},
		{Path: admin + "/users/*", Upstream: u.Users},
		{Path: admin + "/users/{id}/role-mappings/*", Upstream: u.RBAC},
		{Path: admin + "/roles/*", Upstream: u.RBAC},
		{Path: admin + "/roles-by-id/*", Upstream: u.RBAC},
		{Path: admin + "/clients/{id}/roles/*", Upstream: u.RBAC},
		{Path: admin + "/clients/{id}/scope-mappings/*", Upstream: u.RBAC},
		{Path: admin + "/groups/*", Upstream: u.RBAC},
		{Path: admin + "/group-by-path/*", Upstream: u.RBAC},
		{Path: admin + "/users/{id}/groups/*", Upstream: u.RBAC},
		{Path: admin + "/clients/*", Upstream: u.Clients},
		{Path: admin + "/keys/*", Upstream: u.Auth},
		{Path: admin + "/attack-detection/*", Upstream: u.Auth},
	}
	if u.MFA != nil {
		rs = append(rs,
			Route{Path: realm + "/account/mfa/*", Upstream: u.MFA, Access: Optional},
			Route{Path: admin + "/users/{id}/mfa", Upstream: u.MFA},
			Route{Path: admin + "/users/{id}/mfa-lockout", Upstream: u.MFA})
	}
	if u.Session != nil {
		rs = append(rs,
			Route{Path: realm + "/account/sessions/*", Upstream: u.Session, Access: Optional},
			Route{Path: admin + "/users/{id}/sessions", Upstream: u.Session},
			Route{Path: admin + "/users/{id}/logout", Upstream: u.Session},
			Route{Path: admin + "/sessions/*", Upstream: u.Session},
			Route{Path: admin + "/logout-all", Upstream: u.Session},
			Route{Path: admin + "/clients/{id}/user-sessions", Upstream: u.Session},
			Route{Path: admin + "/clients/{id}/session-count", Upstream: u.Session},
			Route{Path: admin + "/client-session-stats", Upstream: u.Session})
	}
	if u.Notify != nil {
		rs = append(rs,
			Route{Path: admin + "/notifications/*", Upstream: u.Notify},
			Route{Path: admin + "/testSMTPConnection", Upstream: u.Notify},
			Route{Path: admin + "/notification-templates/*", Upstream: u.Notify})
	}
	if u.Fallback != nil {
		rs = append(rs,
			Route{Path: "/admin/*", Upstream: u.Fallback},
			Route{Path: realm + "/*", Upstream: u.Fallback, Access: Optional})
	}
	return rs, nil
}

// HealthRoutes returns the routes of a process's own /healthz, /readyz and
// /metrics, served by h in this process: public and never rate-limited.
func HealthRoutes(h http.Handler) []Route {
	up := Local("health", h)
	var rs []Route
	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		rs = append(rs, Route{Path: p, Upstream: up, Access: Public, Rate: RateNone})
	}
	return rs
}
