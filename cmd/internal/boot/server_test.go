package boot_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// routes has one public and one verified route, each answering the caller's
// subject (or "anonymous").
func routes(t *testing.T, ready error) boot.Routes {
	t.Helper()
	v, err := authverify.New(context.Background(), "http://issuer.test", authverify.WithKeySource(authverify.StaticKeys{}))
	if err != nil {
		t.Fatal(err)
	}
	whoami := func(w http.ResponseWriter, r *http.Request) {
		name := "anonymous"
		if p := iam.PrincipalFrom(r.Context()); p != nil {
			name = p.Subject
		}
		_, _ = io.WriteString(w, name)
	}
	return boot.Routes{
		Metrics:  "testsvc",
		Checks:   map[string]iamhttp.Check{"db": func(context.Context) error { return ready }},
		Public:   func(r chi.Router) { r.Get("/public", whoami) },
		Verifier: v,
		Verified: func(r chi.Router) { r.Get("/verified", whoami) },
	}
}

func get(t *testing.T, h http.Handler, path, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func TestRouter(t *testing.T) {
	h := boot.Router(routes(t, nil), slog.New(slog.DiscardHandler))
	tests := []struct {
		name, path, token string
		status            int
		body              string
	}{
		{"Healthz", "/healthz", "", 200, `"ok"`},
		{"Readyz", "/readyz", "", 200, `"db":"ok"`},
		{"PublicIgnoresTokens", "/public", "not-a-token", 200, "anonymous"},
		{"VerifiedAnonymous", "/verified", "", 200, "anonymous"},
		{"VerifiedRejectsBadToken", "/verified", "not-a-token", 401, ""},
		{"NotFound", "/nope", "", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := get(t, h, tt.path, tt.token)
			if status != tt.status || !strings.Contains(body, tt.body) {
				t.Fatalf("GET %s = %d %s, want %d with %s", tt.path, status, body, tt.status, tt.body)
			}
		})
	}
	t.Run("MetricsCountRequests", func(t *testing.T) {
		status, body := get(t, h, "/metrics", "")
		if status != 200 || !strings.Contains(body, `opengate_http_requests_total{method="GET",route="/healthz",service="testsvc",status="200"} 1`) {
			t.Fatalf("GET /metrics = %d %s", status, body)
		}
	})
	t.Run("ReadyzFails", func(t *testing.T) {
		h := boot.Router(routes(t, errors.New("down")), slog.New(slog.DiscardHandler))
		if status, body := get(t, h, "/readyz", ""); status != 503 || !strings.Contains(body, `"db":"unavailable"`) {
			t.Fatalf("GET /readyz = %d %s", status, body)
		}
	})
}

func TestServerServe(t *testing.T) {
	srv := boot.NewServer("test-service", slog.New(slog.DiscardHandler))
	defer srv.Close()
	started, stopped := make(chan struct{}), make(chan struct{})
	srv.Task("worker", func(ctx context.Context) error {
		close(started)
		<-ctx.Done()
		close(stopped)
		return ctx.Err()
	})
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- srv.Serve(ctx, boot.Listen{Addr: "127.0.0.1:0"}, pw, routes(t, nil))
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("no listening line: %v (Serve: %v)", err, <-done)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "test-service listening on ")
	if !ok {
		t.Fatalf("line = %q", line)
	}
	<-started
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz = %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v after a clean shutdown", err)
	}
	select {
	case <-stopped:
	default:
		t.Fatal("Serve returned before its task stopped")
	}
}

func TestServerServeListenError(t *testing.T) {
	srv := boot.NewServer("test-service", slog.New(slog.DiscardHandler))
	defer srv.Close()
	ran := false
	srv.Task("worker", func(context.Context) error { ran = true; return nil })
	var out strings.Builder
	if err := srv.Serve(context.Background(), boot.Listen{Addr: "not an address"}, &out, routes(t, nil)); err == nil {
		t.Fatal("Serve on a bad address succeeded")
	}
	if ran || out.Len() != 0 {
		t.Fatalf("a failed listen started tasks (%v) or printed %q", ran, out.String())
	}
}

// Review finding 10.19: /metrics was public on the main listener. With a
// management address it is served there only.
func TestServerServesMetricsOnlyOnTheManagementAddress(t *testing.T) {
	srv := boot.NewServer("test-service", slog.New(slog.DiscardHandler))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- srv.Serve(ctx, boot.Listen{Addr: "127.0.0.1:0", Management: "127.0.0.1:0"}, pw, routes(t, nil))
		pw.Close()
	}()
	lines := bufio.NewReader(pr)
	addrs := map[string]string{}
	for _, prefix := range []string{"test-service management on ", "test-service listening on "} {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("no line %q: %v", prefix, err)
		}
		addr, ok := strings.CutPrefix(strings.TrimSpace(line), prefix)
		if !ok {
			t.Fatalf("line = %q, want prefix %q", line, prefix)
		}
		addrs[prefix] = addr
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	api, mgmt := addrs["test-service listening on "], addrs["test-service management on "]
	for _, c := range []struct {
		addr, path string
		status     int
	}{
		{api, "/metrics", 404}, {api, "/healthz", 200}, {api, "/public", 200},
		{mgmt, "/metrics", 200}, {mgmt, "/healthz", 200}, {mgmt, "/readyz", 200}, {mgmt, "/public", 404},
	} {
		resp, err := http.Get("http://" + c.addr + c.path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.status {
			t.Errorf("GET %s%s = %d, want %d", c.addr, c.path, resp.StatusCode, c.status)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v after a clean shutdown", err)
	}
}

// A microservice given a profiles address (OPENGATE_PPROF_ADDR) serves Go's
// runtime profiles there, and not on its API's address.
func TestServerServesProfilesOnlyOnTheirAddress(t *testing.T) {
	srv := boot.NewServer("test-service", slog.New(slog.DiscardHandler))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- srv.Serve(ctx, boot.Listen{Addr: "127.0.0.1:0", Pprof: "127.0.0.1:0"}, pw, routes(t, nil))
		pw.Close()
	}()
	lines := bufio.NewReader(pr)
	var prof, api string
	for _, out := range []struct {
		prefix string
		to     *string
	}{{"test-service profiles (pprof) on ", &prof}, {"test-service listening on ", &api}} {
		line, err := lines.ReadString('\n')
		if err != nil {
			t.Fatalf("no line %q: %v", out.prefix, err)
		}
		v, ok := strings.CutPrefix(strings.TrimSpace(line), out.prefix)
		if !ok {
			t.Fatalf("line = %q, want %q…", line, out.prefix)
		}
		*out.to = v
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	for _, tt := range []struct {
		url  string
		want int
	}{{prof + "goroutine?debug=1", 200}, {"http://" + api + "/debug/pprof/goroutine?debug=1", 404}} {
		resp, err := http.Get(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("GET %s = %d, want %d", tt.url, resp.StatusCode, tt.want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve = %v after a clean shutdown", err)
	}
}
