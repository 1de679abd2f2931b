package opengate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// adminRoute is one registered route under /admin/.
type adminRoute struct{ method, pattern string }

func (r adminRoute) String() string { return r.method + " " + r.pattern }

// adminRoutes walks routes and returns those under /admin/.
func adminRoutes(t *testing.T, routes chi.Routes) []adminRoute {
	t.Helper()
	var out []adminRoute
	err := chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if strings.HasPrefix(route, "/admin/") {
			out = append(out, adminRoute{method, route})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// path fills a route pattern: {realm} with realm, every other parameter
// with a value that names nothing.
func (r adminRoute) path(realm iam.Realm) string {
	return pathParam.ReplaceAllStringFunc(r.pattern, func(p string) string {
		if p == "{realm}" {
			return string(realm)
		}
		return "no-such-thing"
	})
}

// callers are the tokens the route walk calls with.
type callers struct {
	masterAdmin      string // admin in master
	masterRealmAdmin string // realm-admin in master
	acmeUser         string // an ordinary user of acme
	betaAdmin        string // realm-admin of beta
}

// status sends method path with token ("" for none) and an empty JSON body
// to h and returns the status.
func status(h http.Handler, method, path, token string) int {
	req := httptest.NewRequest(method, path, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// realmListExceptions are the admin routes without {realm} that serve any
// administrator (on what it administers) instead of master's only.
var realmListExceptions = map[string]bool{"GET /admin/realms": true}

// unprotected returns, for each admin route of routes served by h, how it
// fails the rule: 401 without a token; 403 for an ordinary user of the
// path's realm (acme), for another realm's realm-admin and for master's
// realm-admin (but for the realm list, realmListExceptions); neither 401,
// 403 nor a 5xx for master's admin (on a realm that does not exist, so
// nothing changes).
func unprotected(h http.Handler, routes []adminRoute, c callers) []string {
	var failures []string
	fail := func(r adminRoute, format string, args ...any) {
		failures = append(failures, r.String()+": "+fmt.Sprintf(format, args...))
	}
	for _, r := range routes {
		path := r.path("acme")
		if got := status(h, r.method, path, ""); got != http.StatusUnauthorized {
			fail(r, "without a token = %d, want 401", got)
		}
		if got := status(h, r.method, path, c.acmeUser); got != http.StatusForbidden {
			fail(r, "as an ordinary user of acme = %d, want 403", got)
		}
		if !realmListExceptions[r.String()] {
			if got := status(h, r.method, path, c.betaAdmin); got != http.StatusForbidden {
				fail(r, "as beta's realm-admin = %d, want 403", got)
			}
			if got := status(h, r.method, path, c.masterRealmAdmin); got != http.StatusForbidden {
				fail(r, "as master's realm-admin = %d, want 403", got)
			}
		}
		if got := status(h, r.method, r.path("gamma"), c.masterAdmin); got == http.StatusUnauthorized ||
			got == http.StatusForbidden || got >= 500 {
			fail(r, "as master's admin = %d, want an answer of the handler", got)
		}
	}
	return failures
}

// TestEveryAdminRouteIsAuthorized walks every registered route of the
// server and checks each admin route: a route added without its group's
// admin guard fails here (issue 9 §5).
func TestEveryAdminRouteIsAuthorized(t *testing.T) {
	e := embed(t, opengate.Config{})
	c := adminCallers(t, e)
	mux := chi.NewRouter()
	e.Mount(mux)
	routes := adminRoutes(t, mux)
	if len(routes) < 60 {
		t.Fatalf("walked %d admin routes, want the whole admin API: %v", len(routes), routes)
	}
	for _, want := range []string{"POST /admin/realms", "POST /admin/realms/{realm}/users/{id}/role-mappings/realm",
		"POST /admin/realms/{realm}/keys/rotate", "GET /admin/realms/{realm}/clients/{id}/client-secret",
		"DELETE /admin/realms/{realm}/sessions/{sid}", "POST /admin/realms/{realm}/logout-all",
		"GET /admin/realms/{realm}/users/{id}/sessions", "GET /admin/realms/{realm}/client-session-stats",
		"GET /admin/realms/{realm}/users/{id}/mfa", "DELETE /admin/realms/{realm}/users/{id}/mfa-lockout",
		"POST /admin/realms/{realm}/notifications/{id}/retry", "POST /admin/realms/{realm}/testSMTPConnection",
		"PUT /admin/realms/{realm}/notification-templates/{kind}/{locale}",
		"POST /admin/realms/{realm}/groups/{groupId}/children", "PUT /admin/realms/{realm}/users/{id}/groups/{groupId}",
		"GET /admin/realms/{realm}/group-by-path/*", "POST /admin/realms/{realm}/groups/{groupId}/role-mappings/realm"} {
		if !strings.Contains(fmt.Sprint(routes), want) {
			t.Fatalf("the walk misses %s", want)
		}
	}
	for _, f := range unprotected(e.Handler(), routes, c) {
		t.Error(f)
	}

	t.Run("TheRealmListShowsOnlyWhatTheCallerAdministers", func(t *testing.T) {
		var list []struct {
			Realm string `json:"realm"`
		}
		if err := json.Unmarshal([]byte(e.must(t, 200, "GET", "/admin/realms", c.betaAdmin, "")), &list); err != nil ||
			len(list) != 1 || list[0].Realm != "beta" {
			t.Fatalf("beta's realm-admin lists %+v (%v), want beta only", list, err)
		}
	})
	t.Run("AnUnguardedRouteIsReported", func(t *testing.T) {
		mux := chi.NewRouter()
		e.Mount(mux)
		mux.With(e.Verifier.Middleware).Get("/admin/realms/{realm}/forgotten", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		})
		failures := unprotected(mux, []adminRoute{{"GET", "/admin/realms/{realm}/forgotten"}}, c)
		if len(failures) != 4 {
			t.Fatalf("failures = %q, want the four missing refusals", failures)
		}
	})
}

// adminCallers makes realms acme and beta and the users of callers, and
// returns their tokens.
func adminCallers(t *testing.T, e embedded) callers {
	t.Helper()
	ctx := context.Background()
	admin := e.token(t, "master", "admin", adminPassword)
	for _, realm := range []string{"acme", "beta"} {
		e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"`+realm+`","enabled":true}`)
	}
	user := func(realm iam.Realm, username string, roles ...string) string {
		t.Helper()
		const password = "Passw0rd-of-a-test"
		u, err := e.Users.Create(ctx, realm, users.User{Username: username, Enabled: true},
			users.NewCredential{Type: users.CredentialPassword, Value: password})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "roles and admin-cli of "+string(realm), func() bool {
			_, err := e.Clients.GetByClientID(ctx, realm, "admin-cli")
			return err == nil && e.RBAC.AssignRealmRoles(ctx, realm, u.ID, roles...) == nil
		})
		return e.token(t, string(realm), username, password)
	}
	return callers{
		masterAdmin:      admin,
		masterRealmAdmin: user(iam.MasterRealm, "mra", iam.RoleRealmAdmin),
		acmeUser:         user("acme", "alice"),
		betaAdmin:        user("beta", "bob", iam.RoleRealmAdmin),
	}
}
