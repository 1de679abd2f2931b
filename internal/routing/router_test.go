package routing_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/internal/routing"
)

func get(h http.Handler, path string) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	return rec.Code, rec.Body.String()
}

// With a Front, the API listener serves what Front returns, which reaches
// the routes through the handler Front was given; without one, the routes
// are served directly.
func TestFrontServesTheAPI(t *testing.T) {
	v, err := authverify.New(context.Background(), "http://issuer.test", authverify.WithKeySource(authverify.StaticKeys{}))
	if err != nil {
		t.Fatal(err)
	}
	counter := prometheus.NewCounter(prometheus.CounterOpts{Name: "front_requests_total", Help: "Requests the front saw."})
	var given http.Handler
	rt := routing.Routes{
		Metrics: "test",
		Public: func(r chi.Router) {
			r.Get("/public", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "public") })
		},
		Verifier: v,
		Verified: func(r chi.Router) {
			r.Get("/verified", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "verified") })
		},
		Front: func(routes http.Handler) http.Handler {
			given = routes
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				counter.Inc()
				w.Header().Set("X-Front", "yes")
				routes.ServeHTTP(w, r)
			})
		},
		Collectors: []prometheus.Collector{counter},
	}
	h := routing.New(rt, slog.New(slog.DiscardHandler))
	if given == nil {
		t.Fatal("Front was not called")
	}
	for _, p := range []string{"/public", "/verified"} {
		rec := httptest.NewRecorder()
		h.API.ServeHTTP(rec, httptest.NewRequest("GET", p, nil))
		if rec.Code != 200 || rec.Header().Get("X-Front") != "yes" || rec.Body.String() != strings.TrimPrefix(p, "/") {
			t.Fatalf("GET %s = %d %v %q", p, rec.Code, rec.Header(), rec.Body)
		}
	}
	if code, body := get(h.Management, "/metrics"); code != 200 || !strings.Contains(body, "front_requests_total 2") ||
		!strings.Contains(body, `opengate_http_requests_total{method="GET",route="/verified",service="test",status="200"} 1`) {
		t.Fatalf("metrics = %d %s", code, body)
	}
	t.Run("WithoutVerifiedRoutes", func(t *testing.T) {
		h := routing.New(routing.Routes{Metrics: "test2"}, slog.New(slog.DiscardHandler))
		if code, _ := get(h.API, "/healthz"); code != 200 {
			t.Fatalf("healthz = %d", code)
		}
	})
}

// An entry point (a Front) serves its API under the relative path and
// hands the routes the paths without it; a service behind the gateway
// keeps its routes at the root. Both name the path in the public URLs.
func TestRelativePath(t *testing.T) {
	routes := func(r chi.Router) {
		r.Get("/realms/acme", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, iamhttp.Location(r, r.URL.Path))
		})
	}
	entry := routing.New(routing.Routes{Metrics: "entry", Public: routes, RelativePath: "/auth",
		Front: func(routes http.Handler) http.Handler { return routes }}, slog.New(slog.DiscardHandler))
	service := routing.New(routing.Routes{Metrics: "service", Public: routes, RelativePath: "/auth"}, slog.New(slog.DiscardHandler))
	tests := []struct {
		name, path string
		h          http.Handler
		status     int
		body       string
	}{
		{"EntryUnderThePath", "/auth/realms/acme", entry.API, 200, "http://example.com/auth/realms/acme"},
		{"EntryWithoutThePath", "/realms/acme", entry.API, 404, ""},
		{"EntryProbes", "/readyz", entry.API, 200, ""},
		{"ServiceAtTheRoot", "/realms/acme", service.API, 200, "http://example.com/auth/realms/acme"},
		{"ServiceHasNoPrefixedRoutes", "/auth/realms/acme", service.API, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(tt.h, tt.path)
			if code != tt.status || tt.body != "" && body != tt.body {
				t.Fatalf("GET %s = %d %q, want %d %q", tt.path, code, body, tt.status, tt.body)
			}
		})
	}
}
