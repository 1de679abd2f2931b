package gateway_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authui"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/mfa/mfahttp"
	"github.com/opengate-iam/opengate/notify/notifyhttp"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/session/sessionhttp"
	"github.com/opengate-iam/opengate/users/usershttp"
)

var param = regexp.MustCompile(`\{[^}]+\}`)

// concrete fills a template: {realm} with realm, other parameters with an
// id, and a final "*" with nothing or a segment.
func concrete(tmpl, realm string, deeper bool) string {
	p := param.ReplaceAllStringFunc(tmpl, func(s string) string {
		if s == "{realm}" {
			return realm
		}
		return "0190a6c4-7b8a-7cde-8f00-000000000001"
	})
	if rest, ok := strings.CutSuffix(p, "/*"); ok {
		if deeper {
			return rest + "/deeper"
		}
		return rest
	}
	return p
}

// routesOf returns the default routes over the echo services.
func routesOf(t *testing.T, u gateway.Upstreams) []gateway.Route {
	t.Helper()
	routes, err := gateway.DefaultRoutes(u)
	if err != nil {
		t.Fatal(err)
	}
	return routes
}

func TestDefaultRoutesRequireTheCoreServices(t *testing.T) {
	u := services(t)
	u.RBAC = nil
	if _, err := gateway.DefaultRoutes(u); err == nil || !strings.Contains(err.Error(), "rbac") {
		t.Fatalf("DefaultRoutes without rbac = %v, want an error naming it", err)
	}
}

// Each service's own route table (its *http package's Mount) is reached
// through the gateway at that service: a route the gateway sends elsewhere,
// or does not route, fails here.
func TestEveryServiceRouteReachesItsService(t *testing.T) {
	u := services(t)
	g := newGateway(t, u)
	mounts := map[string]func(chi.Router){
		"auth": func(r chi.Router) {
			ui, err := authui.New(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			h := authhttp.NewHandler(nil, authhttp.WithBrowser(ui))
			h.MountPublic(r)
			h.Mount(r)
		},
		"realms":  realmshttp.NewHandler(nil).Mount,
		"users":   usershttp.NewHandler(nil).Mount,
		"rbac":    rbachttp.NewHandler(nil).Mount,
		"clients": clientshttp.NewHandler(nil).Mount,
		"session": sessionhttp.NewHandler(nil).Mount,
		"mfa":     mfahttp.NewHandler(nil).Mount,
		"notify":  notifyhttp.NewHandler(nil).Mount,
	}
	admin := token("master", "root", "admin")
	total := 0
	for service, mount := range mounts {
		r := chi.NewRouter()
		mount(r)
		err := chi.Walk(r, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
			path := concrete(route, "acme", false)
			rec := do(g, request{method: method, path: path, token: admin})
			if strings.HasPrefix(route, "/internal/") {
				if rec.Code != http.StatusNotFound {
					t.Errorf("%s %s = %d: the internal API must not be routed", method, route, rec.Code)
				}
				return nil
			}
			total++
			if s := seenBy(t, rec); s.Upstream != service || s.Path != path {
				t.Errorf("%s %s reached %s at %s, want %s at %s", method, route, s.Upstream, s.Path, service, path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if total < 95 {
		t.Fatalf("walked %d routes, want every service's API", total)
	}
}

func TestOptionalServicesRoutes(t *testing.T) {
	u := services(t)
	g := newGateway(t, u)
	admin := token("master", "root", "admin")
	for _, tt := range []struct{ path, service string }{
		{"/admin/realms/acme/users/u1/sessions", "session"},
		{"/admin/realms/acme/users/u1/logout", "session"},
		{"/admin/realms/acme/sessions/s1", "session"},
		{"/admin/realms/acme/logout-all", "session"},
		{"/admin/realms/acme/clients/c1/user-sessions", "session"},
		{"/admin/realms/acme/client-session-stats", "session"},
		{"/realms/acme/account/sessions", "session"},
		{"/realms/acme/account/sessions/s1", "session"},
		{"/admin/realms/acme/users/u1/credentials", "users"},
		{"/admin/realms/acme/users/u1/credentials/c1", "users"},
		{"/admin/realms/acme/users/u1/mfa-lockout", "mfa"},
		{"/realms/acme/account/mfa/totp/confirm", "mfa"},
		{"/realms/acme/account/mfa", "mfa"},
		{"/admin/realms/acme/users/u1/mfa", "mfa"},
		{"/admin/realms/acme/notifications", "notify"},
		{"/admin/realms/acme/notifications/n1/retry", "notify"},
		{"/admin/realms/acme/testSMTPConnection", "notify"},
		{"/realms/acme/protocol/openid-connect/auth", "auth"},
		{"/realms/acme/login-actions/authenticate", "auth"},
		{"/realms/acme/login-actions/reset-credentials/complete", "users"},
		{"/resources/login/style.css", "auth"},
	} {
		if s := seenBy(t, do(g, request{path: tt.path, token: admin})); s.Upstream != tt.service {
			t.Errorf("%s reached %s, want %s", tt.path, s.Upstream, tt.service)
		}
	}
	t.Run("WithoutTheOptionalServices", func(t *testing.T) {
		u := services(t)
		u.Session, u.MFA, u.Notify = nil, nil, nil
		g := newGateway(t, u)
		for _, path := range []string{"/admin/realms/acme/sessions/s1", "/admin/realms/acme/notifications", "/admin/realms/acme/logout-all"} {
			if rec := do(g, request{path: path, token: admin}); rec.Code != 404 {
				t.Errorf("%s = %d, want 404 without its service", path, rec.Code)
			}
		}
	})
	t.Run("Fallback", func(t *testing.T) {
		u := services(t)
		u.Fallback = proxyTo(t, "fallback", echo(t, "fallback"))
		g := newGateway(t, u)
		if s := seenBy(t, do(g, request{path: "/admin/realms/acme/client-scopes", token: admin})); s.Upstream != "fallback" {
			t.Errorf("an unknown admin path reached %s, want the fallback", s.Upstream)
		}
		if rec := do(g, request{path: "/admin/realms/acme/client-scopes"}); rec.Code != 401 {
			t.Errorf("an unknown admin path without a token = %d, want 401: the fallback is protected", rec.Code)
		}
		if s := seenBy(t, do(g, request{path: "/realms/acme/something-new"})); s.Upstream != "fallback" {
			t.Errorf("an unknown realm path reached %s, want the fallback", s.Upstream)
		}
		if rec := do(g, request{path: "/internal/realms/acme/users/u1"}); rec.Code != 404 {
			t.Errorf("/internal with a fallback = %d, want 404", rec.Code)
		}
	})
}
