package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

const serviceToken = "gateway-test-service-token"

// fakeService stands in for one microservice: it answers every request
// with what it saw, and its /internal API (with the service token) with
// internal, when set.
func fakeService(t *testing.T, name string, internal map[string]any) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/internal/") {
			body, ok := internal[r.URL.Path]
			if !ok || r.Header.Get(iamhttp.ServiceTokenHeader) != serviceToken {
				w.WriteHeader(http.StatusNotFound)
				return
			}
			_ = json.NewEncoder(w).Encode(body)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"service": name, "path": r.URL.Path,
			"forwardedFor": r.Header.Get("X-Forwarded-For"), "requestId": r.Header.Get("X-Request-Id"),
			"authorization": r.Header.Get("Authorization")})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// deployment is an issuer and fake services, and the gateway's environment
// over them.
type deployment struct {
	iss *boottest.Issuer
	env map[string]string
}

func newDeployment(t *testing.T, env map[string]string) deployment {
	t.Helper()
	iss := boottest.NewIssuer(t)
	all := map[string]string{
		"OPENGATE_AUTH_URL":      iss.URL(), // serves the certs
		"OPENGATE_USERS_URL":     fakeService(t, "users", nil).URL,
		"OPENGATE_RBAC_URL":      fakeService(t, "rbac", nil).URL,
		"OPENGATE_SERVICE_TOKEN": serviceToken,
		"OPENGATE_REALMS_URL": fakeService(t, "realms", map[string]any{
			"/internal/realms/acme": map[string]any{"realm": "acme", "enabled": true, "corsOrigins": []string{"https://shop.acme.test"}},
		}).URL,
		"OPENGATE_CLIENTS_URL": fakeService(t, "clients", map[string]any{
			"/internal/realms/acme/web-origins": map[string]any{"origins": []string{"https://spa.acme.test"}},
		}).URL,
	}
	for k, v := range env {
		all[k] = v
	}
	return deployment{iss: iss, env: iss.Env(all)}
}

func (d deployment) start(t *testing.T, args ...string) boottest.Started {
	t.Helper()
	return boottest.Start(t, run, append([]string{"-addr", "127.0.0.1:0"}, args...), d.env)
}

// answer decodes a fake service's answer.
func answer(t *testing.T, body string) map[string]string {
	t.Helper()
	var a map[string]string
	if err := json.Unmarshal([]byte(body), &a); err != nil || a["service"] == "" {
		t.Fatalf("not a service's answer: %s", body)
	}
	return a
}

func TestRunProxiesAndAuthenticates(t *testing.T) {
	d := newDeployment(t, nil)
	s := d.start(t)
	s.GetOK(t, "/healthz", "/readyz", "/realms/acme/protocol/openid-connect/certs")

	alice := d.iss.Token(t, "acme", "alice")
	resp, body := s.Call(t, "GET", "/admin/realms/acme/users", alice, "")
	a := answer(t, body)
	if resp.StatusCode != 200 || a["service"] != "users" || a["path"] != "/admin/realms/acme/users" ||
		a["forwardedFor"] != "127.0.0.1" || a["authorization"] != "Bearer "+alice || a["requestId"] != resp.Header.Get("X-Request-Id") {
		t.Fatalf("through the gateway: %d %v", resp.StatusCode, a)
	}
	if resp, body := s.Call(t, "GET", "/admin/realms/acme/users/u1/role-mappings", alice, ""); answer(t, body)["service"] != "rbac" {
		t.Fatalf("role mappings: %d %s", resp.StatusCode, body)
	}

	tests := []struct {
		name, path, token string
		status            int
		challenge         string
	}{
		{"NoToken", "/admin/realms/acme/users", "", 401, `Bearer realm="acme"`},
		{"Garbage", "/admin/realms/acme/users", "garbage", 401, `Bearer realm="acme", error="invalid_token"`},
		{"OtherRealm", "/admin/realms/acme/users", d.iss.Token(t, "beta", "bob", iam.RoleRealmAdmin), 403, ""},
		{"Internal", "/internal/realms/acme/users/u1", alice, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := s.Call(t, "GET", tt.path, tt.token, "")
			if resp.StatusCode != tt.status || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), tt.challenge) {
				t.Fatalf("= %d %q %s", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
			}
		})
	}
	t.Run("RevokedTokenIsRefused", func(t *testing.T) {
		tok := d.iss.Token(t, "acme", "carol")
		d.iss.Revoke(t, tok)
		if resp, _ := s.Call(t, "GET", "/admin/realms/acme/users", tok, ""); resp.StatusCode != 401 {
			t.Fatalf("revoked token = %d, want 401", resp.StatusCode)
		}
	})
	// The revocation state of a token in use is cached (client-side
	// caching): the revocation is seen once Redis pushes its invalidation.
	t.Run("RevocationOfATokenInUseIsSeen", func(t *testing.T) {
		tok := d.iss.Token(t, "acme", "dave")
		for range 2 {
			if resp, _ := s.Call(t, "GET", "/admin/realms/acme/users", tok, ""); resp.StatusCode != 200 {
				t.Fatalf("before the revocation = %d, want 200", resp.StatusCode)
			}
		}
		d.iss.Revoke(t, tok)
		written := time.Now()
		for {
			resp, _ := s.Call(t, "GET", "/admin/realms/acme/users", tok, "")
			if resp.StatusCode == 401 {
				return
			}
			if time.Since(written) > 2*time.Second {
				t.Fatalf("revoked token still %d 2 s after the revocation", resp.StatusCode)
			}
			time.Sleep(time.Millisecond)
		}
	})
	t.Run("MetricsCountRouteTemplates", func(t *testing.T) {
		_, body := s.Call(t, "GET", "/metrics", "", "")
		for _, want := range []string{
			`opengate_gateway_requests_total{method="GET",route="/admin/realms/{realm}/users/*",status="200",upstream="users"}`,
			`opengate_gateway_requests_total{method="GET",route="unmatched",status="404",upstream=""} 1`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

func TestRunAnswersCORSWithTheRealmsOrigins(t *testing.T) {
	d := newDeployment(t, map[string]string{"OPENGATE_CORS_ORIGINS": "https://console.test"})
	s := d.start(t)
	for _, tt := range []struct {
		origin string
		status int
	}{{"https://spa.acme.test", 204}, {"https://shop.acme.test", 204}, {"https://console.test", 204}, {"https://evil.test", 403}} {
		req, _ := http.NewRequest("OPTIONS", s.URL+"/realms/acme/protocol/openid-connect/token", nil)
		req.Header.Set("Origin", tt.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		allowed := resp.Header.Get("Access-Control-Allow-Origin")
		if resp.StatusCode != tt.status || (tt.status == 204) != (allowed == tt.origin) {
			t.Errorf("preflight from %s = %d, Access-Control-Allow-Origin %q", tt.origin, resp.StatusCode, allowed)
		}
	}
}

// Two gateways on one Redis counting exactly share the rate limits:
// requests from one address count against one allowance, whichever
// gateway they reach.
func TestRunRateLimitsAreSharedInRedis(t *testing.T) {
	d := newDeployment(t, map[string]string{"OPENGATE_RATE_LIMIT": "3/1m", "OPENGATE_RATE_LIMIT_SYNC": "exact"})
	gws := []boottest.Started{d.start(t), d.start(t)}
	for i := range 3 {
		if resp, _ := gws[i%2].Call(t, "GET", "/realms/acme/protocol/openid-connect/certs", "", ""); resp.StatusCode != 200 {
			t.Fatalf("request %d = %d", i+1, resp.StatusCode)
		}
	}
	for i, s := range gws {
		resp, _ := s.Call(t, "GET", "/realms/acme/protocol/openid-connect/certs", "", "")
		retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if resp.StatusCode != 429 || err != nil || retry < 1 || resp.Header.Get("RateLimit-Limit") != "3" {
			t.Fatalf("over the limit at gateway %d: %d, Retry-After %q", i, resp.StatusCode, resp.Header.Get("Retry-After"))
		}
	}
	if resp, _ := gws[0].Call(t, "GET", "/healthz", "", ""); resp.StatusCode != 200 {
		t.Fatalf("health checks are not limited: %d", resp.StatusCode)
	}
}

// By default the gateways admit from memory and synchronise with Redis
// every 100 ms: requests from one address, alternating between two
// gateways, are all refused once the gateways have synchronised, after
// at most the limit plus one allowance (N−1 = 1 replica's; the refill
// during the test and the synchronisation interval add less than one).
func TestRunSynchronisedRateLimitsAreShared(t *testing.T) {
	d := newDeployment(t, map[string]string{"OPENGATE_RATE_LIMIT": "3/1m"})
	gws := []boottest.Started{d.start(t), d.start(t)}
	admitted, refusedInARow := 0, 0
	boottest.Eventually(t, 10*time.Second, "the two gateways do not both refuse", func() bool {
		for i, s := range gws {
			resp, _ := s.Call(t, "GET", "/realms/acme/protocol/openid-connect/certs", "", "")
			switch resp.StatusCode {
			case 200:
				admitted, refusedInARow = admitted+1, 0
			case 429:
				if retry, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || retry < 1 || resp.Header.Get("RateLimit-Limit") != "3" {
					t.Fatalf("refused at gateway %d with Retry-After %q, RateLimit-Limit %q", i, resp.Header.Get("Retry-After"), resp.Header.Get("RateLimit-Limit"))
				}
				refusedInARow++
			default:
				t.Fatalf("gateway %d: %d", i, resp.StatusCode)
			}
		}
		time.Sleep(20 * time.Millisecond)
		return refusedInARow >= 2
	})
	if admitted < 3 || admitted > 6 {
		t.Fatalf("%d requests admitted across the two gateways, want from the limit (3) to the bound (3 + 3)", admitted)
	}
	t.Logf("%d requests admitted across the two gateways", admitted)
}

func TestRunRoutesFile(t *testing.T) {
	orders := fakeService(t, "orders", nil)
	file := filepath.Join(t.TempDir(), "routes.json")
	if err := os.WriteFile(file, []byte(`{
		"upstreams": {"orders": "`+orders.URL+`"},
		"routes": [
			{"path": "/realms/{realm}/orders/*", "upstream": "orders"},
			{"path": "/realms/{realm}/catalog/*", "upstream": "orders", "access": "public"}
		]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDeployment(t, map[string]string{"OPENGATE_GATEWAY_ROUTES": file})
	s := d.start(t)
	if resp, _ := s.Call(t, "GET", "/realms/acme/orders/42", "", ""); resp.StatusCode != 401 {
		t.Fatalf("a protected route of the file without a token = %d", resp.StatusCode)
	}
	resp, body := s.Call(t, "GET", "/realms/acme/orders/42", d.iss.Token(t, "acme", "alice"), "")
	if a := answer(t, body); resp.StatusCode != 200 || a["service"] != "orders" || a["path"] != "/realms/acme/orders/42" {
		t.Fatalf("orders: %d %v", resp.StatusCode, a)
	}
	if resp, body := s.Call(t, "GET", "/realms/acme/catalog", "", ""); resp.StatusCode != 200 || answer(t, body)["service"] != "orders" {
		t.Fatalf("a public route of the file: %d %s", resp.StatusCode, body)
	}
}

func TestRunRefusesBadConfiguration(t *testing.T) {
	iss := boottest.NewIssuer(t)
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte(`{"routes": [{"path": "/x", "upstream": "nowhere"}]}`), 0o600)
	unknown := filepath.Join(t.TempDir(), "unknown.json")
	_ = os.WriteFile(unknown, []byte(`{"route": []}`), 0o600)
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NoIssuer", map[string]string{"OPENGATE_REDIS_URL": "redis://x"}, "OPENGATE_ISSUER_BASE is required"},
		{"NoRedis", map[string]string{"OPENGATE_ISSUER_BASE": iss.URL()}, "OPENGATE_REDIS_URL is required"},
		{"BadRate", iss.Env(map[string]string{"OPENGATE_RATE_LIMIT_LOGIN": "fast"}), `OPENGATE_RATE_LIMIT_LOGIN: "fast" is not a rate`},
		{"BadRateLimitSync", iss.Env(map[string]string{"OPENGATE_RATE_LIMIT_SYNC": "1ms"}), `OPENGATE_RATE_LIMIT_SYNC: "1ms" is neither exact nor a duration`},
		{"BadTimeout", iss.Env(map[string]string{"OPENGATE_UPSTREAM_TIMEOUT": "-1s"}), "OPENGATE_UPSTREAM_TIMEOUT"},
		{"BadUpstream", iss.Env(map[string]string{"OPENGATE_USERS_URL": "ftp://users"}), "the users service's URL"},
		{"BadProxies", iss.Env(map[string]string{"OPENGATE_TRUSTED_PROXIES": "proxy.example.com"}), "OPENGATE_TRUSTED_PROXIES"},
		{"BadOrigin", iss.Env(map[string]string{"OPENGATE_CORS_ORIGINS": "https://*.example.com"}), "is not an origin"},
		{"RouteToNowhere", iss.Env(map[string]string{"OPENGATE_GATEWAY_ROUTES": bad}), `no upstream "nowhere"`},
		{"UnknownField", iss.Env(map[string]string{"OPENGATE_GATEWAY_ROUTES": unknown}), "unknown field"},
		{"MissingFile", iss.Env(map[string]string{"OPENGATE_GATEWAY_ROUTES": "/no/such/file.json"}), "OPENGATE_GATEWAY_ROUTES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(t.Context(), []string{"-addr", "127.0.0.1:0"}, boottest.Env(tt.env), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run = %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// With OPENGATE_HTTP_RELATIVE_PATH the gateway answers the API under the
// path only, proxies the paths without it (the services keep their routes
// at the root), verifies tokens of the issuer under it, and keeps
// /healthz, /readyz and /metrics where probes look.
func TestRelativePath(t *testing.T) {
	d := newDeployment(t, map[string]string{"OPENGATE_HTTP_RELATIVE_PATH": "/auth/"})
	d.iss.SetPath("/auth")
	s := d.start(t)
	s.GetOK(t, "/healthz", "/readyz", "/metrics", "/auth/realms/acme/protocol/openid-connect/certs")

	alice := d.iss.Token(t, "acme", "alice")
	resp, body := s.Call(t, "GET", "/auth/admin/realms/acme/users?max=1", alice, "")
	if a := answer(t, body); resp.StatusCode != 200 || a["service"] != "users" || a["path"] != "/admin/realms/acme/users" {
		t.Fatalf("under /auth: %d %v", resp.StatusCode, a)
	}
	for _, path := range []string{"/admin/realms/acme/users", "/realms/acme/protocol/openid-connect/certs", "/authx/realms/acme", "/"} {
		if resp, body := s.Call(t, "GET", path, alice, ""); resp.StatusCode != 404 {
			t.Errorf("GET %s = %d %s, want 404 outside /auth", path, resp.StatusCode, body)
		}
	}
	if resp, _ := s.Call(t, "GET", "/auth/admin/realms/acme/users", "", ""); resp.StatusCode != 401 ||
		resp.Header.Get("WWW-Authenticate") != `Bearer realm="acme"` {
		t.Fatalf("no token under /auth = %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

func TestRelativePathIsChecked(t *testing.T) {
	d := newDeployment(t, map[string]string{"OPENGATE_HTTP_RELATIVE_PATH": "auth"})
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0"}, boottest.Env(d.env), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "OPENGATE_HTTP_RELATIVE_PATH") {
		t.Fatalf("run = %v, want an error naming OPENGATE_HTTP_RELATIVE_PATH", err)
	}
}
