package gateway_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
)

func TestCustomMiddlewareSeesThePrincipal(t *testing.T) {
	type saw struct {
		subject, realm, route, path, id string
		anonymous                       bool
	}
	var got []saw
	mw := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := saw{realm: string(gateway.RealmFrom(r.Context())), path: r.URL.Path, id: gateway.RequestID(r.Context())}
			if rt := gateway.RouteFrom(r.Context()); rt != nil {
				s.route = rt.Path
			}
			if p := iam.PrincipalFrom(r.Context()); p != nil {
				s.subject = p.Subject
			} else {
				s.anonymous = true
			}
			got = append(got, s)
			next.ServeHTTP(w, r)
		})
	}
	g := newGateway(t, services(t), gateway.WithMiddleware(mw))
	seenBy(t, do(g, request{path: "//admin/realms/acme/users/", token: token("acme", "alice")}))
	seenBy(t, do(g, request{path: "/realms/acme/account"}))
	if rec := do(g, request{path: "/admin/realms/acme/users"}); rec.Code != 401 {
		t.Fatalf("no token: %d", rec.Code)
	}
	want := []saw{
		{subject: "alice", realm: "acme", route: "/admin/realms/{realm}/users/*", path: "/admin/realms/acme/users"},
		{anonymous: true, realm: "acme", route: "/realms/{realm}/account/*", path: "/realms/acme/account"},
	}
	if len(got) != len(want) {
		t.Fatalf("the middleware saw %d requests, want %d: an unauthenticated request must not reach it", len(got), len(want))
	}
	for i := range want {
		if got[i].id == "" {
			t.Errorf("request %d: no request id", i)
		}
		got[i].id = ""
		if got[i] != want[i] {
			t.Errorf("request %d: saw %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestMiddlewareRunsInTheOrderGiven(t *testing.T) {
	var order []string
	mark := func(name string) func(http.Handler) http.Handler {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	g := newGateway(t, services(t), gateway.WithMiddleware(mark("a"), mark("b")), gateway.WithMiddleware(mark("c")))
	seenBy(t, do(g, request{path: "/realms/acme/protocol/openid-connect/certs"}))
	if strings.Join(order, "") != "abc" {
		t.Fatalf("order %v", order)
	}
	if _, err := gateway.New(nil, gateway.WithMiddleware(nil)); err == nil {
		t.Fatal("a nil middleware was accepted")
	}
}

func TestRequireRole(t *testing.T) {
	u := services(t)
	u.Fallback = proxyTo(t, "fallback", echo(t, "fallback"))
	g := newGateway(t, u, gateway.RequireRole("/admin/realms/{realm}/clients", "client-admin"))
	tests := []struct {
		name, path, token string
		status            int
	}{
		{"WithTheRole", "/admin/realms/acme/clients/c1", token("acme", "alice", "client-admin"), 200},
		{"WithoutTheRole", "/admin/realms/acme/clients", token("acme", "bob", "realm-admin"), 403},
		{"OtherPathsAreNotCovered", "/admin/realms/acme/users", token("acme", "bob"), 200},
		{"SegmentPrefixIsNotCovered", "/admin/realms/acme/clientsx", token("acme", "bob"), 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rec := do(g, request{path: tt.path, token: tt.token}); rec.Code != tt.status {
				t.Fatalf("GET %s = %d %s, want %d", tt.path, rec.Code, rec.Body, tt.status)
			}
		})
	}
	t.Run("OnAnOptionalRouteWithoutToken", func(t *testing.T) {
		g := newGateway(t, services(t), gateway.RequireRole("/realms/{realm}/account", "premium"))
		rec := do(g, request{path: "/realms/acme/account"})
		if rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != `Bearer realm="acme"` {
			t.Fatalf("= %d %q", rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
	})
}

func TestPanicsAre500(t *testing.T) {
	g := newGateway(t, services(t), gateway.WithMiddleware(func(http.Handler) http.Handler {
		return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom: secret detail") })
	}))
	rec := do(g, request{path: "/realms/acme/protocol/openid-connect/certs"})
	if rec.Code != 500 || strings.Contains(rec.Body.String(), "secret detail") {
		t.Fatalf("= %d %s", rec.Code, rec.Body)
	}
}

func TestRequestLog(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	g := newGateway(t, services(t), gateway.WithLogger(log))
	tok := token("acme", "alice")
	seenBy(t, do(g, request{path: "/admin/realms/acme/users?code=SECRET-CODE&password=hunter2", token: tok,
		header: http.Header{"Cookie": {"KEYCLOAK_SESSION=SECRET-COOKIE"}}}))
	line := buf.String()
	for _, secret := range []string{"SECRET-CODE", "hunter2", "SECRET-COOKIE", tok[:20]} {
		if strings.Contains(line, secret) {
			t.Fatalf("the log holds %q: %s", secret, line)
		}
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"msg": "request", "method": "GET", "path": "/admin/realms/acme/users", "status": 200.0,
		"realm": "acme", "subject": "alice", "route": "/admin/realms/{realm}/users/*", "upstream": "users", "client": "192.0.2.10"}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("%s = %v, want %v", k, rec[k], v)
		}
	}
	for _, k := range []string{"bytes", "duration", "request_id", "trace_id"} {
		if rec[k] == nil || rec[k] == "" {
			t.Errorf("no %s", k)
		}
	}
}

// observed records the observer's calls.
type observed struct{ calls []string }

func (o *observed) ObserveRequest(route, upstream, method string, status int, _ time.Duration) {
	o.calls = append(o.calls, strings.Join([]string{route, upstream, method, strconv.Itoa(status)}, " "))
}

func TestObserverSeesRouteTemplates(t *testing.T) {
	o := &observed{}
	g := newGateway(t, services(t), gateway.WithObserver(o))
	do(g, request{path: "/admin/realms/acme/users/123"})
	do(g, request{path: "/nowhere"})
	want := []string{"/admin/realms/{realm}/users/* users GET 401", "unmatched  GET 404"}
	if strings.Join(o.calls, "|") != strings.Join(want, "|") {
		t.Fatalf("observed %q, want %q", o.calls, want)
	}
}
