package gateway_test

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

func TestPathsAreCleanedBeforeMatching(t *testing.T) {
	g := newGateway(t, services(t))
	alice := token("acme", "alice")
	tests := []struct {
		name, path string
		status     int
		forwarded  string // the path the upstream sees on 200
	}{
		{"DoubleSlashIsTheCleanPath", "//admin/realms/acme/users", 401, ""},
		{"DotDotIsResolved", "/realms/acme/protocol/openid-connect/../../../../admin/realms/acme/users", 401, ""},
		{"DotSegmentIsResolved", "/admin/./realms/acme/users", 401, ""},
		{"EncodedDotDotIsResolved", "/realms/acme/protocol/openid-connect/%2e%2e/%2E%2E/%2e%2e/%2e%2e/admin/realms/acme/users", 401, ""},
		{"EncodedSlashIsRefused", "/admin%2Frealms/acme/users", 400, ""},
		{"EncodedBackslashIsRefused", "/realms/acme/protocol/openid-connect/certs%5c..%5c..", 400, ""},
		{"BackslashIsRefused", `/realms/acme/account\..\..`, 400, ""},
		{"ControlCharacterIsRefused", "/realms/acme/account%00", 400, ""},
		{"TrailingSlashIsDropped", "/realms/acme/protocol/openid-connect/certs/", 200, "/realms/acme/protocol/openid-connect/certs"},
		{"CleanedPublicPathIsForwardedCleaned", "/realms/acme/x/../protocol/openid-connect//certs", 200, "/realms/acme/protocol/openid-connect/certs"},
		{"DoubleEncodingStaysLiteral", "/realms/acme/protocol/openid-connect/%252e%252e", 200, "/realms/acme/protocol/openid-connect/%2e%2e"},
		{"InternalIsNotRouted", "/internal/realms/acme/users/u1", 404, ""},
		{"InternalBehindDotDotIsNotRouted", "/realms/acme/../../internal/realms/acme/users/u1", 404, ""},
		{"RootIsNotRouted", "/", 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := do(g, request{path: tt.path})
			if rec.Code != tt.status {
				t.Fatalf("GET %s = %d %s, want %d", tt.path, rec.Code, rec.Body, tt.status)
			}
			if tt.status == 200 {
				if s := seenBy(t, rec); s.Path != tt.forwarded {
					t.Fatalf("upstream saw %q, want %q", s.Path, tt.forwarded)
				}
			}
		})
	}
	t.Run("AuthorizedCleanedPathIsForwardedCleaned", func(t *testing.T) {
		s := seenBy(t, do(g, request{path: "//admin/realms/acme/x/../users/", token: alice}))
		if s.Path != "/admin/realms/acme/users" || s.RawPath != "" {
			t.Fatalf("upstream saw %q (raw %q)", s.Path, s.RawPath)
		}
	})
	t.Run("QueryIsPassedOn", func(t *testing.T) {
		s := seenBy(t, do(g, request{path: "/admin/realms/acme/users?search=a%20b&max=5", token: alice}))
		if s.Query != "search=a%20b&max=5" {
			t.Fatalf("upstream saw query %q", s.Query)
		}
	})
	t.Run("EscapedSegmentsStayEscaped", func(t *testing.T) {
		s := seenBy(t, do(g, request{path: "/admin/realms/acme/roles/my%20role", token: alice}))
		if s.Path != "/admin/realms/acme/roles/my role" {
			t.Fatalf("upstream saw %q", s.Path)
		}
	})
}

func TestForwardedHeaders(t *testing.T) {
	spoof := http.Header{
		"X-Forwarded-For":   {"203.0.113.66"},
		"X-Forwarded-Proto": {"https"},
		"X-Forwarded-Host":  {"evil.test"},
		"Forwarded":         {"for=203.0.113.66;proto=https"},
	}
	t.Run("SpoofedFromAnUntrustedPeerAreIgnored", func(t *testing.T) {
		g := newGateway(t, services(t), gateway.WithTrustedProxies(netip.MustParsePrefix("10.0.0.0/8")))
		s := seenBy(t, do(g, request{path: "/realms/acme/protocol/openid-connect/certs", header: spoof}))
		want := map[string]string{
			"X-Forwarded-For":   "192.0.2.10",
			"X-Forwarded-Proto": "http",
			"X-Forwarded-Host":  "gateway.test",
			"Forwarded":         `for=192.0.2.10;host="gateway.test";proto=http`,
		}
		for k, v := range want {
			if got := s.Header[k]; len(got) != 1 || got[0] != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
	})
	t.Run("TrustedProxysAreExtended", func(t *testing.T) {
		g := newGateway(t, services(t), gateway.WithTrustedProxies(netip.MustParsePrefix("10.0.0.0/8")))
		s := seenBy(t, do(g, request{path: "/realms/acme/protocol/openid-connect/certs", header: spoof, remote: "10.1.2.3:5555"}))
		want := map[string]string{
			"X-Forwarded-For":   "203.0.113.66, 10.1.2.3",
			"X-Forwarded-Proto": "https",
			"X-Forwarded-Host":  "evil.test",
			"Forwarded":         `for=203.0.113.66;proto=https, for=10.1.2.3;host="evil.test";proto=https`,
		}
		for k, v := range want {
			if got := s.Header[k]; len(got) != 1 || got[0] != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
	})
	t.Run("IPv6PeerIsQuoted", func(t *testing.T) {
		g := newGateway(t, services(t))
		s := seenBy(t, do(g, request{path: "/realms/acme/protocol/openid-connect/certs", remote: "[2001:db8::7]:443"}))
		if got := s.Header["Forwarded"][0]; got != `for="[2001:db8::7]";host="gateway.test";proto=http` {
			t.Errorf("Forwarded = %q", got)
		}
	})
	t.Run("TLSIsHTTPS", func(t *testing.T) {
		g := newGateway(t, services(t))
		r := httptest.NewRequest("GET", "https://gateway.test/realms/acme/protocol/openid-connect/certs", nil)
		r.TLS = &tls.ConnectionState{}
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, r)
		if got := seenBy(t, rec).Header["X-Forwarded-Proto"]; got[0] != "https" {
			t.Errorf("X-Forwarded-Proto = %q", got)
		}
	})
}

func TestClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	tests := []struct {
		name, remote, xff, want string
	}{
		{"UntrustedPeerIsTheClient", "192.0.2.1:1", "203.0.113.9", "192.0.2.1"},
		{"TrustedPeerNamesTheClient", "10.0.0.1:1", "203.0.113.9", "203.0.113.9"},
		{"RightmostUntrustedHopIsTheClient", "10.0.0.1:1", "198.51.100.1, 203.0.113.9, 10.9.9.9", "203.0.113.9"},
		{"MalformedHopMakesThePeerTheClient", "10.0.0.1:1", "203.0.113.9, bogus", "10.0.0.1"},
		{"AllTrustedMakesThePeerTheClient", "10.0.0.1:1", "10.0.0.2", "10.0.0.1"},
		{"IPv6Loopback", "[::1]:1", "2001:db8::1", "2001:db8::1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			mw := func(next http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					got = gateway.ClientIP(r.Context()).String()
					next.ServeHTTP(w, r)
				})
			}
			g := newGateway(t, services(t), gateway.WithTrustedProxies(trusted...), gateway.WithMiddleware(mw))
			do(g, request{path: "/realms/acme/protocol/openid-connect/certs", remote: tt.remote,
				header: http.Header{"X-Forwarded-For": {tt.xff}}})
			if got != tt.want {
				t.Fatalf("client = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestHopByHopAndInternalHeadersAreNotPassedOn(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(r.Header)
		w.Header().Set("Connection", "X-Upstream-Private")
	}))
	t.Cleanup(upstream.Close)
	up := proxyTo(t, "auth", upstream)
	g, err := gateway.New([]gateway.Route{{Path: "/x/*", Upstream: up, Access: gateway.Public}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(g)
	t.Cleanup(gw.Close)
	req, _ := http.NewRequest("GET", gw.URL+"/x", nil)
	req.Header.Set("Connection", "X-Secret-Hop")
	req.Header.Set("X-Secret-Hop", "1")
	req.Header.Set("Proxy-Authorization", "Basic Zm9vOmJhcg==")
	req.Header.Set("Te", "trailers")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("X-OpenGate-Service-Token", "guessed")
	req.Header.Set("X-Kept", "yes")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got http.Header
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"X-Secret-Hop", "Proxy-Authorization", "Upgrade", "X-Opengate-Service-Token"} {
		if got.Get(h) != "" {
			t.Errorf("the upstream got %s: %q", h, got.Get(h))
		}
	}
	if got.Get("X-Kept") != "yes" {
		t.Error("an end-to-end header was dropped")
	}
}

func TestRequestIDAndTraceContextReachTheUpstream(t *testing.T) {
	g := newGateway(t, services(t))
	const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	rec := do(g, request{path: "/realms/acme/protocol/openid-connect/certs",
		header: http.Header{"X-Request-Id": {"req-42"}, "Traceparent": {parent}, "Tracestate": {"vendor=x"}}})
	s := seenBy(t, rec)
	if s.Header["X-Request-Id"][0] != "req-42" || rec.Header().Get("X-Request-Id") != "req-42" {
		t.Errorf("request id: upstream %v, response %q", s.Header["X-Request-Id"], rec.Header().Get("X-Request-Id"))
	}
	tp := s.Header["Traceparent"][0]
	if !strings.HasPrefix(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-") || !strings.HasSuffix(tp, "-01") ||
		tp == parent || len(tp) != len(parent) {
		t.Errorf("traceparent %q: want the same trace with the gateway's span", tp)
	}
	if s.Header["Tracestate"][0] != "vendor=x" {
		t.Errorf("tracestate %v", s.Header["Tracestate"])
	}
	t.Run("MalformedStartsATrace", func(t *testing.T) {
		s := seenBy(t, do(g, request{path: "/realms/acme/protocol/openid-connect/certs",
			header: http.Header{"X-Request-Id": {"bad id with spaces"}, "Traceparent": {"00-00000000000000000000000000000000-00f067aa0ba902b7-01"}, "Tracestate": {"vendor=x"}}}))
		tp := s.Header["Traceparent"][0]
		if len(tp) != 55 || strings.Contains(tp, "00000000000000000000000000000000") || s.Header["Tracestate"] != nil {
			t.Errorf("traceparent %q, tracestate %v", tp, s.Header["Tracestate"])
		}
		if id := s.Header["X-Request-Id"][0]; id == "bad id with spaces" || len(id) != 24 {
			t.Errorf("request id %q", id)
		}
	})
}

// refused returns the URL of a port nothing listens on.
func refused(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestUpstreamFailures(t *testing.T) {
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(hang); slow.Close() })
	down, err := gateway.ProxyTo("realms", refused(t))
	if err != nil {
		t.Fatal(err)
	}
	// TEST-NET-1 is never routed: connecting either fails at once or
	// hangs until the connect timeout, both a 502.
	unreachable, err := gateway.ProxyTo("clients", "http://192.0.2.1:81")
	if err != nil {
		t.Fatal(err)
	}
	const timeout = 200 * time.Millisecond
	g, err := gateway.New([]gateway.Route{
		{Path: "/down/*", Upstream: down, Access: gateway.Public},
		{Path: "/unreachable/*", Upstream: unreachable, Access: gateway.Public},
		{Path: "/slow/*", Upstream: proxyTo(t, "users", slow), Access: gateway.Public},
	}, gateway.WithTimeouts(gateway.Timeouts{Connect: timeout, Response: timeout}), quiet)
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(g)
	t.Cleanup(gw.Close)
	// The client's own timeout only keeps a hang from stalling the test;
	// the gateway must answer well before it.
	client := &http.Client{Timeout: 20 * timeout}
	for _, tt := range []struct {
		path, code, service string
		status              int
	}{
		{"/down", "bad_gateway", "realms", 502},
		{"/unreachable", "bad_gateway", "clients", 502},
		{"/slow", "gateway_timeout", "users", 504},
	} {
		t.Run(tt.path, func(t *testing.T) {
			resp, err := client.Get(gw.URL + tt.path)
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			defer resp.Body.Close()
			var body iamhttp.ErrorBody
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.status || body.Error != tt.code || !strings.Contains(body.ErrorDescription, tt.service) {
				t.Fatalf("= %d %+v, want %d %s naming %s", resp.StatusCode, body, tt.status, tt.code, tt.service)
			}
		})
	}
}

func TestBodiesAreLimited(t *testing.T) {
	u := services(t)
	g := newGateway(t, u)
	alice := token("acme", "alice", "realm-admin")
	big := strings.Repeat("x", gateway.DefaultMaxBodyBytes+1)
	t.Run("DeclaredLength", func(t *testing.T) {
		if rec := do(g, request{method: "POST", path: "/admin/realms/acme/users", token: alice, body: big}); rec.Code != 413 {
			t.Fatalf("= %d, want 413", rec.Code)
		}
	})
	t.Run("Streamed", func(t *testing.T) {
		gw := httptest.NewServer(g)
		t.Cleanup(gw.Close)
		req, _ := http.NewRequest("POST", gw.URL+"/admin/realms/acme/users", io.MultiReader(strings.NewReader(big)))
		req.ContentLength = -1 // chunked: only counting can stop it
		req.Header.Set("Authorization", "Bearer "+alice)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Fatalf("= %d, want 413", resp.StatusCode)
		}
	})
	t.Run("ImportTakesMore", func(t *testing.T) {
		for _, path := range []string{"/admin/realms/acme/partialImport", "/admin/realms"} {
			s := seenBy(t, do(g, request{method: "POST", path: path, token: alice, body: big}))
			if len(s.Body) != len(big) {
				t.Fatalf("POST %s: upstream got %d bytes", path, len(s.Body))
			}
		}
	})
	t.Run("WithinTheLimit", func(t *testing.T) {
		s := seenBy(t, do(g, request{method: "POST", path: "/admin/realms/acme/users", token: alice, body: `{"username":"x"}`}))
		if s.Body != `{"username":"x"}` {
			t.Fatalf("upstream got %q", s.Body)
		}
	})
}

func TestUpstreamCORSHeadersAreDropped(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.WriteHeader(204)
	}))
	t.Cleanup(upstream.Close)
	g, err := gateway.New([]gateway.Route{{Path: "/x", Upstream: proxyTo(t, "auth", upstream), Access: gateway.Public}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	rec := do(g, request{path: "/x", header: http.Header{"Origin": {"https://evil.test"}}})
	if rec.Code != 204 || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("= %d with Access-Control-Allow-Origin %q", rec.Code, rec.Header().Get("Access-Control-Allow-Origin"))
	}
}

// An in-process upstream gets the trace context in its request context too,
// so the events it records carry it (iam.StampTrace).
func TestLocalUpstreamsGetTheTraceInTheirContext(t *testing.T) {
	var inCtx, inHeader, requestID string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inCtx, inHeader, requestID = iam.TraceParent(r.Context()), r.Header.Get("Traceparent"), iamhttp.RequestID(r.Context())
	})
	g, err := gateway.New([]gateway.Route{{Path: "/x", Upstream: gateway.Local("local", h), Access: gateway.Public}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	rec := do(g, request{path: "/x", header: http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}})
	if !strings.HasPrefix(inCtx, "00-4bf92f3577b34da6a3ce929d0e0e4736-") || inCtx != inHeader {
		t.Fatalf("context trace %q, header %q", inCtx, inHeader)
	}
	if requestID == "" || requestID != rec.Header().Get("X-Request-Id") {
		t.Fatalf("iamhttp.RequestID = %q, response X-Request-Id %q", requestID, rec.Header().Get("X-Request-Id"))
	}
}
