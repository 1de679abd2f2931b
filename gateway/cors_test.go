package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
)

// countingOrigins serves fixed origins per realm and counts the reads.
type countingOrigins struct {
	origins map[iam.Realm][]string
	reads   atomic.Int32
	fail    atomic.Bool
}

func (c *countingOrigins) Origins(_ context.Context, realm iam.Realm) ([]string, error) {
	c.reads.Add(1)
	if c.fail.Load() {
		return nil, iam.Errorf(iam.CodeUnavailable, "clients service down")
	}
	return c.origins[realm], nil
}

func corsGateway(t *testing.T) (*gateway.Gateway, *countingOrigins) {
	t.Helper()
	src := &countingOrigins{origins: map[iam.Realm][]string{
		"acme":   {"https://shop.acme.test", "HTTPS://Mixed.Acme.Test:443"},
		"master": {"https://console.example.test"},
	}}
	g := newGateway(t, services(t), gateway.WithCORS(gateway.CORS{Origins: []string{"https://everywhere.test"}, Source: src}))
	return g, src
}

func preflight(origin, method, headers string) http.Header {
	h := http.Header{"Origin": {origin}, "Access-Control-Request-Method": {method}}
	if headers != "" {
		h.Set("Access-Control-Request-Headers", headers)
	}
	return h
}

func TestCORSPreflight(t *testing.T) {
	g, _ := corsGateway(t)
	tests := []struct {
		name, path, origin, method, headers string
		allowed                             bool
	}{
		{"RealmOriginOnItsRealm", "/admin/realms/acme/users", "https://shop.acme.test", "PUT", "authorization, content-type", true},
		{"OriginsAreComparedNormalized", "/realms/acme/account", "https://mixed.acme.test", "POST", "", true},
		{"ConfiguredOriginEverywhere", "/realms/beta/protocol/openid-connect/token", "https://everywhere.test", "POST", "", true},
		{"MasterOriginOnEveryAdminPath", "/admin/realms/beta/users", "https://console.example.test", "DELETE", "", true},
		{"MasterOriginNotOnAnotherRealmsPages", "/realms/beta/account", "https://console.example.test", "GET", "", false},
		{"RealmOriginNotOnAnotherRealm", "/admin/realms/beta/users", "https://shop.acme.test", "GET", "", false},
		{"UnknownOrigin", "/admin/realms/acme/users", "https://evil.test", "GET", "", false},
		{"OriginWithAnotherScheme", "/admin/realms/acme/users", "http://shop.acme.test", "GET", "", false},
		{"OriginWithAnotherPort", "/admin/realms/acme/users", "https://shop.acme.test:8443", "GET", "", false},
		{"NullOrigin", "/admin/realms/acme/users", "null", "GET", "", false},
		{"UnknownMethod", "/admin/realms/acme/users", "https://shop.acme.test", "TRACE", "", false},
		{"MalformedHeaderName", "/admin/realms/acme/users", "https://shop.acme.test", "GET", "x-ok, bad header", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(g, request{method: "OPTIONS", path: tt.path, header: preflight(tt.origin, tt.method, tt.headers)})
			h := rec.Header()
			if !tt.allowed {
				if rec.Code != 403 || h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Credentials") != "" {
					t.Fatalf("= %d %v, want 403 without CORS headers", rec.Code, h)
				}
				return
			}
			if rec.Code != 204 || h.Get("Access-Control-Allow-Origin") != tt.origin ||
				h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Access-Control-Max-Age") != "600" ||
				h.Get("Access-Control-Allow-Methods") == "" || h.Get("Access-Control-Allow-Headers") != tt.headers {
				t.Fatalf("= %d %v, want 204 allowing %s", rec.Code, h, tt.origin)
			}
			if h.Get("Vary") == "" {
				t.Fatal("no Vary")
			}
		})
	}
	t.Run("PreflightNeedsNoToken", func(t *testing.T) {
		// A preflight never carries credentials: it is answered before
		// authentication and never reaches the upstream.
		rec := do(g, request{method: "OPTIONS", path: "/admin/realms/acme/users", header: preflight("https://shop.acme.test", "GET", "")})
		if rec.Code != 204 || rec.Body.Len() != 0 {
			t.Fatalf("= %d %s", rec.Code, rec.Body)
		}
	})
}

func TestCORSOnRequests(t *testing.T) {
	g, _ := corsGateway(t)
	alice := token("acme", "alice")
	t.Run("AllowedOriginGetsCredentials", func(t *testing.T) {
		rec := do(g, request{path: "/admin/realms/acme/users", token: alice, header: http.Header{"Origin": {"https://shop.acme.test"}}})
		h := rec.Header()
		if rec.Code != 200 || h.Get("Access-Control-Allow-Origin") != "https://shop.acme.test" ||
			h.Get("Access-Control-Allow-Credentials") != "true" || h.Get("Access-Control-Expose-Headers") == "" || h.Get("Vary") != "Origin" {
			t.Fatalf("= %d %v", rec.Code, h)
		}
	})
	t.Run("OtherOriginGetsNoCORSHeaders", func(t *testing.T) {
		rec := do(g, request{path: "/admin/realms/acme/users", token: alice, header: http.Header{"Origin": {"https://evil.test"}}})
		h := rec.Header()
		if h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Credentials") != "" || h.Get("Vary") != "Origin" {
			t.Fatalf("= %d %v", rec.Code, h)
		}
	})
	t.Run("ErrorsCarryCORSHeadersToo", func(t *testing.T) {
		rec := do(g, request{path: "/admin/realms/acme/users", header: http.Header{"Origin": {"https://shop.acme.test"}}})
		if rec.Code != 401 || rec.Header().Get("Access-Control-Allow-Origin") != "https://shop.acme.test" {
			t.Fatalf("= %d %v: a script must be able to read the 401", rec.Code, rec.Header())
		}
	})
}

func TestCORSOriginsAreCached(t *testing.T) {
	g, src := corsGateway(t)
	h := preflight("https://shop.acme.test", "GET", "")
	for range 5 {
		do(g, request{method: "OPTIONS", path: "/realms/acme/account", header: h})
	}
	if n := src.reads.Load(); n != 1 {
		t.Fatalf("read acme's origins %d times, want once", n)
	}
	if err := g.HandleEvent(context.Background(), iam.Event{Type: iam.TopicClientUpdated, Realm: "acme"}); err != nil {
		t.Fatal(err)
	}
	do(g, request{method: "OPTIONS", path: "/realms/acme/account", header: h})
	if n := src.reads.Load(); n != 2 {
		t.Fatalf("after client.updated: %d reads, want 2", n)
	}
	t.Run("FailuresRefuseAndAreNotCached", func(t *testing.T) {
		g.InvalidateOrigins("")
		src.fail.Store(true)
		if rec := do(g, request{method: "OPTIONS", path: "/realms/acme/account", header: h}); rec.Code != 403 {
			t.Fatalf("with the source down = %d, want 403", rec.Code)
		}
		src.fail.Store(false)
		if rec := do(g, request{method: "OPTIONS", path: "/realms/acme/account", header: h}); rec.Code != 204 {
			t.Fatalf("once the source answers = %d, want 204", rec.Code)
		}
	})
}

func TestCORSWithoutConfigurationAllowsNothing(t *testing.T) {
	g := newGateway(t, services(t))
	rec := do(g, request{method: "OPTIONS", path: "/realms/acme/account", header: preflight("https://shop.acme.test", "GET", "")})
	if rec.Code != 403 {
		t.Fatalf("= %d, want 403", rec.Code)
	}
}

func TestWithCORSRefusesMalformedOrigins(t *testing.T) {
	for _, o := range []string{"*", "https://a.test/path", "ftp://a.test", "https://*.a.test", "a.test"} {
		_, err := gateway.New(nil, gateway.WithCORS(gateway.CORS{Origins: []string{o}}))
		if iam.ErrorCode(err) != iam.CodeInvalid {
			t.Errorf("origin %q: %v, want invalid", o, err)
		}
	}
}

// realmGetter and webOrigins stand in for the realms and clients services.
type realmGetter map[iam.Realm][]string

func (g realmGetter) Get(_ context.Context, realm iam.Realm) (realms.Realm, error) {
	cors, ok := g[realm]
	if !ok {
		return realms.Realm{}, iam.NotFoundf("no realm")
	}
	return realms.Realm{Name: realm, CORSOrigins: cors}, nil
}

type webOrigins func(ctx context.Context, realm iam.Realm) ([]string, error)

func (f webOrigins) WebOrigins(ctx context.Context, realm iam.Realm) ([]string, error) {
	return f(ctx, realm)
}

func TestServiceOrigins(t *testing.T) {
	src := gateway.ServiceOrigins(realmGetter{"acme": {"https://realm.test"}},
		webOrigins(func(context.Context, iam.Realm) ([]string, error) { return []string{"https://client.test"}, nil }))
	got, err := src.Origins(context.Background(), "acme")
	if err != nil || len(got) != 2 || got[0] != "https://realm.test" || got[1] != "https://client.test" {
		t.Fatalf("= %v %v", got, err)
	}
	if got, err := src.Origins(context.Background(), "nowhere"); err != nil || got != nil {
		t.Fatalf("unknown realm = %v %v, want none", got, err)
	}
	down := gateway.ServiceOrigins(realmGetter{"acme": nil},
		webOrigins(func(context.Context, iam.Realm) ([]string, error) { return nil, errors.New("down") }))
	if _, err := down.Origins(context.Background(), "acme"); err == nil {
		t.Fatal("a failing clients service went unnoticed")
	}
}

// The realms and clients services and their remote clients are origin
// sources.
var (
	_ gateway.RealmGetter     = (*realms.Service)(nil)
	_ gateway.RealmGetter     = (*realmshttp.Client)(nil)
	_ gateway.WebOriginLister = (*clients.Service)(nil)
	_ gateway.WebOriginLister = (*clientshttp.Client)(nil)
)
