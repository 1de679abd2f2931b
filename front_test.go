package opengate_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// serve sends a request straight to h (no mux in between, which would
// clean the path itself) and returns the response.
func serve(h http.Handler, method, path, token string, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		r.Header[k] = v
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// routeRecorder is gateway middleware that records the principal of each
// request it sees.
type routeRecorder struct {
	mu   sync.Mutex
	seen map[string]*iam.Principal
}

func (rr *routeRecorder) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rr.mu.Lock()
		rr.seen[r.URL.Path] = iam.PrincipalFrom(r.Context())
		rr.mu.Unlock()
		next.ServeHTTP(w, r)
	})
}

// lastRoute is a gateway.Observer that keeps the last request's route
// template and upstream.
type lastRoute struct {
	mu              sync.Mutex
	route, upstream string
}

func (l *lastRoute) ObserveRequest(route, upstream, _ string, _ int, _ time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.route, l.upstream = route, upstream
}

// The all-in-one's Handler is the gateway chain in front of its routes:
// the declarative table names every route it serves (none reaches the
// fallback), and /internal is not served.
func TestEveryRouteIsInTheGatewayTable(t *testing.T) {
	last := &lastRoute{}
	e := embed(t, opengate.Config{Gateway: []gateway.Option{gateway.WithObserver(last)}})
	mux := chi.NewRouter()
	e.Mount(mux)
	n := 0
	err := chi.Walk(mux, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		n++
		path := pathParam.ReplaceAllStringFunc(route, func(p string) string {
			if p == "{realm}" {
				return "acme"
			}
			return "no-such-thing"
		})
		rec := serve(e.Handler(), method, path, "", nil) // without a token: nothing changes
		last.mu.Lock()
		defer last.mu.Unlock()
		switch {
		case strings.HasPrefix(route, "/internal/"):
			if rec.Code != 404 || last.route != "unmatched" {
				t.Errorf("%s %s = %d (route %s), want 404: the internal API is not served", method, route, rec.Code, last.route)
			}
		case last.route == "unmatched":
			t.Errorf("%s %s matched no gateway route", method, route)
		case last.upstream == "opengate":
			t.Errorf("%s %s reached the fallback: add it to gateway.DefaultRoutes", method, route)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 100 {
		t.Fatalf("walked %d routes", n)
	}
}

func TestTheHandlerBehavesLikeTheGateway(t *testing.T) {
	rr := &routeRecorder{seen: map[string]*iam.Principal{}}
	e := embed(t, opengate.Config{
		CORSOrigins: []string{"https://console.test"},
		Gateway:     []gateway.Option{gateway.WithMiddleware(rr.middleware)},
	})
	admin := e.token(t, "master", "admin", adminPassword)
	h := e.Handler()
	t.Run("PathsAreCleanedBeforeMatching", func(t *testing.T) {
		for _, p := range []string{"//admin/realms", "/realms/master/protocol/openid-connect/../../../../admin/realms", "/admin/./realms/"} {
			if rec := serve(h, "GET", p, "", nil); rec.Code != 401 || rec.Header().Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("GET %s = %d %q, want 401", p, rec.Code, rec.Header().Get("WWW-Authenticate"))
			}
		}
		if rec := serve(h, "GET", "/admin%2Frealms", admin, nil); rec.Code != 400 {
			t.Errorf("an encoded slash = %d, want 400", rec.Code)
		}
	})
	t.Run("ForgedTokensAreRefusedAtTheEdge", func(t *testing.T) {
		rec := serve(h, "GET", "/admin/realms/master/users", admin[:len(admin)-4]+"AAAA", nil)
		if rec.Code != 401 || !strings.HasPrefix(rec.Header().Get("WWW-Authenticate"), `Bearer realm="master", error="invalid_token"`) {
			t.Fatalf("= %d %q", rec.Code, rec.Header().Get("WWW-Authenticate"))
		}
	})
	t.Run("MiddlewareSeesThePrincipal", func(t *testing.T) {
		if rec := serve(h, "GET", "/admin/realms/master/users", admin, nil); rec.Code != 200 {
			t.Fatalf("= %d", rec.Code)
		}
		rr.mu.Lock()
		p := rr.seen["/admin/realms/master/users"]
		rr.mu.Unlock()
		if p == nil || p.Username != "admin" || !p.IsMasterAdmin() {
			t.Fatalf("the middleware saw %+v", p)
		}
	})
	t.Run("CORSFromTheClientsWebOrigins", func(t *testing.T) {
		if _, err := e.Clients.Create(t.Context(), "master", clients.Client{ClientID: "spa", Enabled: true, PublicClient: true,
			StandardFlowEnabled: true, RedirectURIs: []string{"https://spa.test/cb"}, WebOrigins: []string{"+"}}, ""); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			origin string
			status int
		}{{"https://spa.test", 204}, {"https://console.test", 204}, {"https://evil.test", 403}} {
			rec := serve(h, "OPTIONS", "/realms/master/protocol/openid-connect/token", "",
				http.Header{"Origin": {tt.origin}, "Access-Control-Request-Method": {"POST"}})
			if rec.Code != tt.status {
				t.Errorf("preflight from %s = %d, want %d", tt.origin, rec.Code, tt.status)
			}
		}
	})
	t.Run("HealthIsServed", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
			if rec := serve(h, "GET", p, "", nil); rec.Code != 200 {
				t.Errorf("GET %s = %d", p, rec.Code)
			}
		}
		body := serve(h, "GET", "/metrics", "", nil).Body.String()
		if !strings.Contains(body, `opengate_gateway_requests_total{method="GET",route="/admin/realms/{realm}/users/*",status="200",upstream="users"}`) {
			t.Error("/metrics lacks the gateway's series")
		}
	})
}

func TestRateLimitsOfTheAllInOne(t *testing.T) {
	limits := gateway.Limits{Login: gateway.Rate{Requests: 2, Per: time.Minute}}
	e := embed(t, opengate.Config{RateLimits: &limits})
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for i := range 2 {
		if rec := serve(e.Handler(), "POST", "/realms/master/protocol/openid-connect/token", "", form); rec.Code == 429 {
			t.Fatalf("request %d refused", i+1)
		}
	}
	rec := serve(e.Handler(), "POST", "/realms/master/protocol/openid-connect/token", "", form)
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("= %d %v, want 429 with Retry-After", rec.Code, rec.Header())
	}
}

// With Redis and RateLimitSync the all-in-one admits from memory and
// synchronises in the background: one process alone counts exactly.
func TestSynchronisedRateLimitsOfTheAllInOne(t *testing.T) {
	rc, prefix := iamtest.Redis(t)
	limits := gateway.Limits{Login: gateway.Rate{Requests: 2, Per: time.Minute}}
	e := embed(t, opengate.Config{RateLimits: &limits, Redis: rc, RedisPrefix: prefix, RateLimitSync: 10 * time.Millisecond})
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for i := range 2 {
		if rec := serve(e.Handler(), "POST", "/realms/master/protocol/openid-connect/token", "", form); rec.Code == 429 {
			t.Fatalf("request %d refused", i+1)
		}
	}
	rec := serve(e.Handler(), "POST", "/realms/master/protocol/openid-connect/token", "", form)
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" || rec.Header().Get("RateLimit-Limit") != "2" {
		t.Fatalf("= %d %v, want 429 with Retry-After", rec.Code, rec.Header())
	}
}

func TestNewRefusesABadGatewayConfiguration(t *testing.T) {
	_, err := opengate.New(t.Context(), opengate.Config{IssuerBase: "http://localhost:8080", CORSOrigins: []string{"*"}})
	if err == nil || !strings.Contains(err.Error(), "Config.CORSOrigins") {
		t.Fatalf("New = %v", err)
	}
}
