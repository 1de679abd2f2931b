package gateway_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/gateway"
)

// recordingLimiter records the buckets of each Take and answers with the
// memory limiter, or fails.
type recordingLimiter struct {
	mu   sync.Mutex
	keys [][]string
	next gateway.Limiter
	err  error
}

func (l *recordingLimiter) Take(ctx context.Context, buckets []gateway.Bucket) (gateway.Decision, error) {
	l.mu.Lock()
	var keys []string
	for _, b := range buckets {
		keys = append(keys, b.Key)
	}
	l.keys = append(l.keys, keys)
	l.mu.Unlock()
	if l.err != nil {
		return gateway.Decision{}, l.err
	}
	return l.next.Take(ctx, buckets)
}

func (l *recordingLimiter) last() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.keys) == 0 {
		return "<none>"
	}
	return strings.Join(l.keys[len(l.keys)-1], " ")
}

func limited(t *testing.T, limits gateway.Limits) (*gateway.Gateway, *recordingLimiter) {
	t.Helper()
	l := &recordingLimiter{next: gateway.NewMemoryLimiter()}
	return newGateway(t, services(t), gateway.WithRateLimits(limits, l)), l
}

func TestRateLimitRefusesWith429(t *testing.T) {
	g, _ := limited(t, gateway.Limits{PerIP: gateway.Rate{Requests: 2, Per: time.Minute}})
	for i := range 2 {
		rec := do(g, request{path: "/realms/acme/protocol/openid-connect/certs"})
		if rec.Code != 200 || rec.Header().Get("RateLimit-Limit") != "2" || rec.Header().Get("RateLimit-Remaining") != strconv.Itoa(1-i) {
			t.Fatalf("request %d: %d %v", i+1, rec.Code, rec.Header())
		}
	}
	rec := do(g, request{path: "/realms/acme/protocol/openid-connect/certs"})
	retry, err := strconv.Atoi(rec.Header().Get("Retry-After"))
	if rec.Code != 429 || err != nil || retry < 1 || retry > 30 || rec.Header().Get("RateLimit-Remaining") != "0" ||
		rec.Header().Get("RateLimit-Policy") != "2;w=60" || !strings.Contains(rec.Body.String(), `"error":"rate_limited"`) {
		t.Fatalf("third request: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	if rec := do(g, request{path: "/realms/acme/protocol/openid-connect/certs", remote: "192.0.2.11:1"}); rec.Code != 200 {
		t.Fatalf("another address: %d", rec.Code)
	}
	if rec := do(g, request{path: "/realms/acme/protocol/openid-connect/certs", header: http.Header{"X-Forwarded-For": {"198.51.100.1"}}}); rec.Code != 429 {
		t.Fatalf("a spoofed X-Forwarded-For from an untrusted peer escaped the limit: %d", rec.Code)
	}
}

func TestRateLimitBuckets(t *testing.T) {
	limits := gateway.Limits{PerIP: gateway.Rate{Requests: 100, Per: time.Minute},
		Login: gateway.Rate{Requests: 10, Per: time.Minute}, PerClient: gateway.Rate{Requests: 50, Per: time.Minute}}
	basic := http.Header{"Authorization": {"Basic " + basicAuth("my app", "secret")}}
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	tests := []struct {
		name string
		req  request
		keys string
	}{
		{"PlainRouteCountsTheAddress", request{path: "/realms/acme/protocol/openid-connect/certs"}, "ip:192.0.2.10"},
		{"TokenEndpointIsALoginRoute", request{method: "POST", path: "/realms/acme/protocol/openid-connect/token"},
			"ip:192.0.2.10 login:192.0.2.10"},
		{"BasicCredentialsNameTheClient", request{method: "POST", path: "/realms/acme/protocol/openid-connect/token", header: basic},
			"ip:192.0.2.10 login:192.0.2.10 client:acme:my app"},
		{"FormNamesTheClient", request{method: "POST", path: "/realms/acme/protocol/openid-connect/token", header: form,
			body: url.Values{"grant_type": {"password"}, "client_id": {"spa"}}.Encode()},
			"ip:192.0.2.10 login:192.0.2.10 client:acme:spa"},
		{"QueryNamesTheClient", request{path: "/realms/acme/protocol/openid-connect/auth?client_id=web&response_type=code"},
			"ip:192.0.2.10 login:192.0.2.10 client:acme:web"},
		{"TokenNamesTheClient", request{path: "/admin/realms/acme/users", token: token("acme", "alice")},
			"ip:192.0.2.10 client:acme:app"},
		{"NoRealmNoClientBucket", request{path: "/admin/realms", token: token("acme", "alice")}, "ip:192.0.2.10"},
		{"IPv6CountsThe64", request{path: "/realms/acme/protocol/openid-connect/certs", remote: "[2001:db8:1:2:aaaa::1]:9"},
			"ip:2001:db8:1:2::/64"},
		{"HealthIsNotLimited", request{path: "/healthz"}, "<none>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &recordingLimiter{next: gateway.NewMemoryLimiter()}
			u := services(t)
			routes, _ := gateway.DefaultRoutes(u)
			routes = append(routes, gateway.HealthRoutes(echoHandler("health"))...)
			g, err := gateway.New(routes, gateway.WithVerifier(newVerifier(t)), gateway.WithRateLimits(limits, l), quiet)
			if err != nil {
				t.Fatal(err)
			}
			s := seenBy(t, do(g, tt.req))
			if got := l.last(); got != tt.keys {
				t.Fatalf("buckets %q, want %q", got, tt.keys)
			}
			if tt.req.body != "" && s.Body != tt.req.body {
				t.Fatalf("the upstream got body %q, want the one the limiter read: %q", s.Body, tt.req.body)
			}
		})
	}
}

func basicAuth(user, password string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(password))
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

func TestLoginRoutesAreStricter(t *testing.T) {
	g, _ := limited(t, gateway.Limits{PerIP: gateway.Rate{Requests: 100, Per: time.Minute}, Login: gateway.Rate{Requests: 1, Per: time.Minute}})
	if rec := do(g, request{method: "POST", path: "/realms/acme/protocol/openid-connect/token"}); rec.Code != 200 {
		t.Fatalf("first login: %d", rec.Code)
	}
	if rec := do(g, request{method: "POST", path: "/realms/acme/protocol/openid-connect/token"}); rec.Code != 429 {
		t.Fatalf("second login: %d, want 429", rec.Code)
	}
	if rec := do(g, request{path: "/realms/acme/protocol/openid-connect/certs"}); rec.Code != 200 {
		t.Fatalf("another route after the login limit: %d", rec.Code)
	}
}

func TestAFailingLimiterLetsRequestsPass(t *testing.T) {
	l := &recordingLimiter{err: errors.New("redis down")}
	g := newGateway(t, services(t), gateway.WithRateLimits(gateway.DefaultLimits(), l))
	rec := do(g, request{path: "/realms/acme/protocol/openid-connect/certs"})
	if rec.Code != 200 || rec.Header().Get("RateLimit-Limit") != "" {
		t.Fatalf("= %d %v", rec.Code, rec.Header())
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want gateway.Rate
		ok   bool
	}{
		{"600/1m", gateway.Rate{Requests: 600, Per: time.Minute}, true},
		{"20/s", gateway.Rate{Requests: 20, Per: time.Second}, true},
		{" 10000 / h ", gateway.Rate{Requests: 10000, Per: time.Hour}, true},
		{"5/90s", gateway.Rate{Requests: 5, Per: 90 * time.Second}, true},
		{"off", gateway.Rate{}, true},
		{"0", gateway.Rate{}, true},
		{"600", gateway.Rate{}, false},
		{"-1/m", gateway.Rate{}, false},
		{"10/100ms", gateway.Rate{}, false},
		{"10/48h", gateway.Rate{}, false},
		{"x/m", gateway.Rate{}, false},
		{"2000000/s", gateway.Rate{}, false},
	}
	for _, tt := range tests {
		got, err := gateway.ParseRate(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if s := (gateway.Rate{Requests: 600, Per: time.Minute}).String(); s != "600/1m0s" {
		t.Errorf("String = %q", s)
	}
	if r, err := gateway.ParseRate(gateway.Rate{Requests: 7, Per: 3 * time.Second}.String()); err != nil || r.Requests != 7 {
		t.Errorf("String does not parse back: %v %v", r, err)
	}
}
