package iamhttp_test

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// TestBaseURLHonoursOnlyTrustedProxies: the scheme and host come from
// forwarded headers only when the peer is a trusted proxy.
func TestBaseURLHonoursOnlyTrustedProxies(t *testing.T) {
	proxy := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	tests := []struct {
		name     string
		trusted  []netip.Prefix
		relative string
		peer     string
		tls      bool
		header   map[string]string
		want     string
	}{
		{"TheConnectionsHost", nil, "", "192.0.2.1:5000", false, nil, "http://id.example.com"},
		{"TLSIsHTTPS", nil, "", "192.0.2.1:5000", true, nil, "https://id.example.com"},
		{"TheRelativePath", nil, "/auth", "192.0.2.1:5000", false, nil, "http://id.example.com/auth"},
		{"XForwardedFromATrustedProxy", proxy, "/auth", "10.1.2.3:5000", false,
			map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example:8443"}, "https://public.example:8443/auth"},
		{"TheFirstOfSeveralValues", proxy, "", "10.1.2.3:5000", false,
			map[string]string{"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "outer.example, inner.example"}, "https://outer.example"},
		{"ForwardedFromATrustedProxy", proxy, "", "10.1.2.3:5000", false,
			map[string]string{"Forwarded": `for=192.0.2.9;host="public.example";proto=https, for=10.0.0.2;host=inner;proto=http`}, "https://public.example"},
		{"XForwardedWinsOverForwarded", proxy, "", "10.1.2.3:5000", false,
			map[string]string{"X-Forwarded-Host": "x.example", "Forwarded": `host="f.example";proto=https`}, "http://x.example"},
		{"ForwardedHeadersOfAnUntrustedPeerAreIgnored", proxy, "", "192.0.2.1:5000", false,
			map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example", "Forwarded": `host=evil.example`}, "http://id.example.com"},
		{"NoTrustedProxiesTrustsNone", nil, "", "10.1.2.3:5000", false,
			map[string]string{"X-Forwarded-Host": "evil.example"}, "http://id.example.com"},
		{"AMalformedForwardedHostIsIgnored", proxy, "", "10.1.2.3:5000", false,
			map[string]string{"X-Forwarded-Host": "evil.example/path?x", "X-Forwarded-Proto": "javascript"}, "http://id.example.com"},
		{"IPv6Peer", []netip.Prefix{netip.MustParsePrefix("fd00::/8")}, "", "[fd00::1]:5000", false,
			map[string]string{"X-Forwarded-Host": "v6.example"}, "http://v6.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			h := iamhttp.PublicBase(tt.trusted, tt.relative)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = iamhttp.BaseURL(r)
			}))
			req := httptest.NewRequest("GET", "/admin/realms", nil)
			req.Host = "id.example.com"
			req.RemoteAddr = tt.peer
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got != tt.want {
				t.Fatalf("BaseURL = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestCreatedAnswersAnAbsoluteLocation: Keycloak's Location, under the
// relative path.
func TestCreatedAnswersAnAbsoluteLocation(t *testing.T) {
	h := iamhttp.PublicBase(nil, "/auth")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		iamhttp.Created(w, r, "u1")
	}))
	req := httptest.NewRequest("POST", "/admin/realms/acme/users/", nil)
	req.Host = "localhost:8080"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 201 || rec.Header().Get("Location") != "http://localhost:8080/auth/admin/realms/acme/users/u1" {
		t.Fatalf("= %d, Location %q", rec.Code, rec.Header().Get("Location"))
	}
}

func TestParseRelativePath(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true}, {"/", "", true}, {"/auth", "/auth", true}, {"/auth/", "/auth", true},
		{"/id/v1.2~x_y-z", "/id/v1.2~x_y-z", true},
		{"auth", "", false}, {"//auth", "", false}, {"/a//b", "", false}, {"/a/../b", "", false},
		{"/a b", "", false}, {"/a?x", "", false}, {"/a%2f", "", false}, {"/ä", "", false},
	}
	for _, tt := range tests {
		got, err := iamhttp.ParseRelativePath(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseRelativePath(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestJoinRelativePath(t *testing.T) {
	for _, tt := range []struct{ base, rel, want string }{
		{"http://localhost:8080", "", "http://localhost:8080"},
		{"http://localhost:8080/", "/auth", "http://localhost:8080/auth"},
		{"https://id.example.com/auth", "/auth", "https://id.example.com/auth"},
		{"https://example.com/id", "/auth", "https://example.com/id/auth"},
	} {
		if got := iamhttp.JoinRelativePath(tt.base, tt.rel); got != tt.want {
			t.Errorf("JoinRelativePath(%q, %q) = %q, want %q", tt.base, tt.rel, got, tt.want)
		}
	}
}

// TestServeUnder: the API answers under the relative path only; probes and
// scrapers keep their paths.
func TestServeUnder(t *testing.T) {
	var seen, seenRaw string
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, seenRaw = r.URL.Path, r.URL.RawPath
		w.WriteHeader(http.StatusTeapot)
	})
	h := iamhttp.ServeUnder("/auth", api)
	tests := []struct {
		name, path string
		status     int
		seen       string
	}{
		{"UnderThePath", "/auth/realms/acme/.well-known/openid-configuration", 418, "/realms/acme/.well-known/openid-configuration"},
		{"ThePathItself", "/auth", 418, "/"},
		{"WithoutThePath", "/realms/acme/.well-known/openid-configuration", 404, ""},
		{"APathThatOnlyStartsLikeIt", "/authx/realms/acme", 404, ""},
		{"TheRoot", "/", 404, ""},
		{"Readiness", "/readyz", 418, "/readyz"},
		{"Health", "/healthz", 418, "/healthz"},
		{"Metrics", "/metrics", 418, "/metrics"},
		{"HealthUnderThePathToo", "/auth/healthz", 418, "/healthz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = ""
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			if rec.Code != tt.status || seen != tt.seen {
				t.Fatalf("= %d, handler saw %q; want %d, %q", rec.Code, seen, tt.status, tt.seen)
			}
			if rec.Code == 404 && errorBody(t, rec).Error != "not_found" {
				t.Fatalf("404 without its code: %s", rec.Body)
			}
		})
	}
	t.Run("EscapedPathsKeepTheirEscapes", func(t *testing.T) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/auth/admin/realms/acme/roles/a%2Fb", nil))
		if rec.Code != 418 || seen != "/admin/realms/acme/roles/a/b" || seenRaw != "/admin/realms/acme/roles/a%2Fb" {
			t.Fatalf("= %d, path %q raw %q", rec.Code, seen, seenRaw)
		}
	})
	t.Run("NoRelativePathServesEverything", func(t *testing.T) {
		rec := httptest.NewRecorder()
		iamhttp.ServeUnder("", api).ServeHTTP(rec, httptest.NewRequest("GET", "/realms/acme", nil))
		if rec.Code != 418 || seen != "/realms/acme" {
			t.Fatalf("= %d, path %q", rec.Code, seen)
		}
	})
}
