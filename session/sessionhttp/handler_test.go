package sessionhttp_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/session/sessionhttp"
)

func TestUserSessionsAreKeycloaksRepresentation(t *testing.T) {
	f := newFixture(t)
	var got []map[string]any
	f.must(acmeAdmin, 200, "GET", "/admin/realms/acme/users/alice/sessions", &got)
	if len(got) != 2 {
		t.Fatalf("alice's sessions: %v", got)
	}
	s := got[0]
	for _, field := range []string{"id", "username", "userId", "ipAddress", "start", "lastAccess", "clients"} {
		if _, ok := s[field]; !ok {
			t.Fatalf("UserSessionRepresentation %v has no %s", s, field)
		}
	}
	clients, _ := s["clients"].(map[string]any)
	if s["id"] != "alice-1" || s["userId"] != "alice" || s["username"] != "alice" || s["ipAddress"] != "192.0.2.1" ||
		clients["uuid-web"] != "web" || clients["uuid-app"] != "app" || s["start"].(float64) < 1e12 {
		t.Fatalf("session %v", s)
	}
	var none []any
	f.must(acmeAdmin, 200, "GET", "/admin/realms/acme/users/nobody/sessions", &none)
	if none == nil || len(none) != 0 {
		t.Fatalf("sessions of an unknown user: %v, want []", none)
	}
}

func TestAdminEndsSessions(t *testing.T) {
	f := newFixture(t)
	f.must(acmeAdmin, 204, "DELETE", "/admin/realms/acme/sessions/alice-2", nil)
	f.must(acmeAdmin, 404, "DELETE", "/admin/realms/acme/sessions/alice-2", nil)
	f.must(acmeAdmin, 404, "DELETE", "/admin/realms/acme/sessions/alice-1?isOffline=true", nil)
	f.must(acmeAdmin, 400, "DELETE", "/admin/realms/acme/sessions/alice-1?isOffline=maybe", nil)
	if f.alive("alice-2") || !f.alive("alice-1") {
		t.Fatal("DELETE /sessions/{sid} ended the wrong session")
	}
	f.must(acmeAdmin, 204, "POST", "/admin/realms/acme/users/alice/logout", nil)
	if f.alive("alice-1") || !f.alive("bob-1") {
		t.Fatal("POST /users/{id}/logout ended the wrong sessions")
	}
	var body map[string]any
	f.must(acmeAdmin, 200, "POST", "/admin/realms/acme/logout-all", &body)
	if f.alive("bob-1") {
		t.Fatal("logout-all left a session")
	}
	if got := f.bus.terminated(t); !slices.Equal(got, []string{"alice-2", "alice-1", "bob-1"}) {
		t.Fatalf("session.terminated for %v, want one per ended session", got)
	}
}

func TestClientSessionsAndStats(t *testing.T) {
	f := newFixture(t)
	var list []sessionhttp.UserSessionRepresentation
	f.must(acmeAdmin, 200, "GET", "/admin/realms/acme/clients/uuid-web/user-sessions", &list)
	if len(list) != 3 {
		t.Fatalf("web's sessions: %+v", list)
	}
	f.must(acmeAdmin, 200, "GET", "/admin/realms/acme/clients/uuid-web/user-sessions?first=1&max=1", &list)
	if len(list) != 1 || list[0].ID != "alice-2" {
		t.Fatalf("web's sessions, page 2 of 1: %+v", list)
	}
	f.must(acmeAdmin, 400, "GET", "/admin/realms/acme/clients/uuid-web/user-sessions?first=-1", nil)
	var count map[string]int
	f.must(acmeAdmin, 200, "GET", "/admin/realms/acme/clients/uuid-app/session-count", &count)
	if count["count"] != 1 {
		t.Fatalf("app's session count: %v", count)
	}
	var stats []sessionhttp.ClientSessionStat
	f.must(acmeAdmin, 200, "GET", "/admin/realms/acme/client-session-stats", &stats)
	want := []sessionhttp.ClientSessionStat{{ID: "uuid-app", ClientID: "app", Active: "1", Offline: "0"},
		{ID: "uuid-web", ClientID: "web", Active: "3", Offline: "0"}}
	if !slices.Equal(stats, want) {
		t.Fatalf("stats = %+v, want %+v", stats, want)
	}
}

func TestAdminRoutesNeedTheRealmsAdministrator(t *testing.T) {
	f := newFixture(t)
	routes := []struct{ method, path string }{
		{"GET", "/admin/realms/acme/users/alice/sessions"},
		{"POST", "/admin/realms/acme/users/alice/logout"},
		{"DELETE", "/admin/realms/acme/sessions/alice-1"},
		{"POST", "/admin/realms/acme/logout-all"},
		{"GET", "/admin/realms/acme/clients/uuid-web/user-sessions"},
		{"GET", "/admin/realms/acme/clients/uuid-web/session-count"},
		{"GET", "/admin/realms/acme/client-session-stats"},
	}
	for _, r := range routes {
		t.Run(r.method+r.path, func(t *testing.T) {
			if rec := f.do(nil, r.method, r.path); rec.Code != http.StatusUnauthorized {
				t.Fatalf("anonymous: %d", rec.Code)
			}
			for _, p := range []string{"alice", "beta"} {
				who := alice
				if p == "beta" {
					who = betaAdmin
				}
				if rec := f.do(who, r.method, r.path); rec.Code != http.StatusForbidden {
					t.Fatalf("as %s: %d", p, rec.Code)
				}
			}
		})
	}
	if !f.alive("alice-1") || !f.alive("bob-1") {
		t.Fatal("a refused call ended sessions")
	}
}

func TestAccountSessionsAreTheCallersOwn(t *testing.T) {
	f := newFixture(t)
	var mine []sessionhttp.SessionRepresentation
	f.must(alice, 200, "GET", "/realms/acme/account/sessions", &mine)
	if len(mine) != 2 || mine[0].ID != "alice-1" || !mine[0].Current || mine[1].Current ||
		mine[0].Browser != "Firefox" || len(mine[0].Clients) != 2 || mine[0].Clients[0].ClientID != "app" {
		t.Fatalf("alice's account sessions: %+v", mine)
	}
	// Another user's session is not found, and stays.
	f.must(alice, 404, "DELETE", "/realms/acme/account/sessions/bob-1", nil)
	if !f.alive("bob-1") {
		t.Fatal("alice ended bob's session")
	}
	f.must(alice, 204, "DELETE", "/realms/acme/account/sessions/alice-2", nil)
	f.must(alice, 404, "DELETE", "/realms/acme/account/sessions/alice-2", nil)
	if f.alive("alice-2") || !f.alive("alice-1") {
		t.Fatal("DELETE /account/sessions/{sid} ended the wrong session")
	}
	f.must(nil, 401, "GET", "/realms/acme/account/sessions", nil)
	f.must(alice, 403, "GET", "/realms/beta/account/sessions", nil) // as at the gateway
	f.must(alice, 400, "GET", "/realms/Bad_Realm/account/sessions", nil)
}

func TestInternalAPINeedsTheServiceToken(t *testing.T) {
	f := newFixture(t)
	for _, token := range []string{"", "wrong"} {
		if rec := f.do(nil, "GET", "/internal/realms/acme/sessions/alice-1/alive", "X-OpenGate-Service-Token", token); rec.Code != http.StatusForbidden {
			t.Fatalf("token %q: %d", token, rec.Code)
		}
	}
	rec := f.do(nil, "POST", "/internal/realms/acme/sessions/alice-1/touch", "X-OpenGate-Service-Token", serviceToken)
	if rec.Code != 200 || rec.Body.String() != `{"alive":true}`+"\n" {
		t.Fatalf("touch = %d %s", rec.Code, rec.Body)
	}
}
