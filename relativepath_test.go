package opengate_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/clients"
)

// relativeServer runs New with RelativePath "/auth" (trusting proxies of
// 127.0.0.0/8 when trustLoopback) behind a test server, and returns it
// with its base URL (without the path).
func relativeServer(t *testing.T, trustLoopback bool) (*opengate.Server, string) {
	t.Helper()
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	cfg := opengate.Config{IssuerBase: ts.URL + "/auth", RelativePath: "/auth", Logger: slog.New(slog.DiscardHandler),
		Admin: &opengate.Admin{Username: "admin", Password: adminPassword}}
	if trustLoopback {
		cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := opengate.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-ran
		srv.Close()
	})
	mux.Handle("/", srv.Handler())
	return srv, ts.URL
}

// send sends method url with header and body and returns the response
// and its body.
func send(t *testing.T, method, u string, header map[string]string, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, string(raw)
}

// TestTheAllInOneUnderARelativePath: with RelativePath /auth (Keycloak's
// --http-relative-path, for clients written for Keycloak 16 and older)
// discovery, tokens, the admin API and the login pages are under /auth,
// with issuers, Location headers and cookies naming it; without it the
// API is 404; probes keep their paths.
func TestTheAllInOneUnderARelativePath(t *testing.T) {
	srv, base := relativeServer(t, false)
	auth := base + "/auth"

	t.Run("Discovery", func(t *testing.T) {
		resp, body := send(t, "GET", auth+"/realms/master/.well-known/openid-configuration", nil, "")
		var d map[string]any
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &d) != nil {
			t.Fatalf("discovery = %d %s", resp.StatusCode, body)
		}
		for k, want := range map[string]string{
			"issuer":                 auth + "/realms/master",
			"token_endpoint":         auth + "/realms/master/protocol/openid-connect/token",
			"authorization_endpoint": auth + "/realms/master/protocol/openid-connect/auth",
			"jwks_uri":               auth + "/realms/master/protocol/openid-connect/certs",
		} {
			if d[k] != want {
				t.Errorf("%s = %v, want %s", k, d[k], want)
			}
		}
	})
	t.Run("OutsideThePathIs404", func(t *testing.T) {
		for _, path := range []string{"/realms/master/.well-known/openid-configuration", "/admin/realms", "/authx/realms/master"} {
			if resp, body := send(t, "GET", base+path, nil, ""); resp.StatusCode != 404 {
				t.Errorf("GET %s = %d %s, want 404", path, resp.StatusCode, body)
			}
		}
	})
	t.Run("ProbesKeepTheirPaths", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz?exclude=background_tasks", "/metrics"} {
			if resp, body := send(t, "GET", base+path, nil, ""); resp.StatusCode != 200 {
				t.Errorf("GET %s = %d %s", path, resp.StatusCode, body)
			}
		}
	})

	form := url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {"admin"}, "password": {adminPassword}}
	resp, body := send(t, "POST", auth+"/realms/master/protocol/openid-connect/token",
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("token request under /auth = %d %s", resp.StatusCode, body)
	}
	if iss := claims(t, tok.AccessToken)["iss"]; iss != auth+"/realms/master" {
		t.Fatalf("iss = %v, want %s/realms/master", iss, auth)
	}
	bearer := map[string]string{"Authorization": "Bearer " + tok.AccessToken, "Content-Type": "application/json"}

	t.Run("AbsoluteLocation", func(t *testing.T) {
		resp, body := send(t, "POST", auth+"/admin/realms", bearer, `{"realm":"acme","enabled":true}`)
		if resp.StatusCode != 201 || resp.Header.Get("Location") != auth+"/admin/realms/acme" {
			t.Fatalf("create realm = %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
		}
		resp, body = send(t, "POST", auth+"/admin/realms/acme/users", bearer, `{"username":"alice","enabled":true}`)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != 201 || !strings.HasPrefix(loc, auth+"/admin/realms/acme/users/") {
			t.Fatalf("create user = %d %q %s", resp.StatusCode, loc, body)
		}
		if resp, body := send(t, "GET", loc, bearer, ""); resp.StatusCode != 200 || !strings.Contains(body, `"alice"`) {
			t.Fatalf("GET Location = %d %s", resp.StatusCode, body)
		}
	})
	t.Run("ForwardedHeadersOfAnUntrustedPeerAreIgnored", func(t *testing.T) {
		h := map[string]string{"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}
		for k, v := range bearer {
			h[k] = v
		}
		resp, _ := send(t, "POST", auth+"/admin/realms", h, `{"realm":"beta","enabled":true}`)
		if resp.Header.Get("Location") != auth+"/admin/realms/beta" {
			t.Fatalf("Location = %q", resp.Header.Get("Location"))
		}
	})
	t.Run("LoginPagesAndCookies", func(t *testing.T) {
		ctx := context.Background()
		if _, err := srv.Clients.Create(ctx, "acme", clients.Client{ClientID: "portal", Enabled: true, StandardFlowEnabled: true,
			RedirectURIs: []string{"https://portal.example/cb"}}, "portal-secret-0123456789"); err != nil {
			t.Fatal(err)
		}
		q := url.Values{"response_type": {"code"}, "client_id": {"portal"}, "redirect_uri": {"https://portal.example/cb"}}
		resp, _ := send(t, "GET", auth+"/realms/acme/protocol/openid-connect/auth?"+q.Encode(), nil, "")
		next := resp.Header.Get("Location")
		if resp.StatusCode != 302 || !strings.HasPrefix(next, auth+"/realms/acme/login-actions/authenticate?tx=") {
			t.Fatalf("authorization request = %d %q", resp.StatusCode, next)
		}
		var cookie *http.Cookie
		for _, c := range resp.Cookies() {
			if c.Name == "OPENGATE_LOGIN" {
				cookie = c
			}
		}
		if cookie == nil || cookie.Path != "/auth/realms/acme/" {
			t.Fatalf("login cookie = %+v, want its path under /auth", cookie)
		}
		resp, page := send(t, "GET", next, map[string]string{"Cookie": cookie.Name + "=" + cookie.Value}, "")
		if resp.StatusCode != 200 || !strings.Contains(page, `action="`+auth+`/realms/acme/login-actions/`) ||
			!strings.Contains(page, auth+"/resources/login/") {
			t.Fatalf("login page = %d, its form and stylesheet not under /auth:\n%s", resp.StatusCode, page)
		}
	})
}

// TestLocationBehindATrustedProxy: the scheme and host a trusted proxy
// forwards name the Location.
func TestLocationBehindATrustedProxy(t *testing.T) {
	_, base := relativeServer(t, true)
	auth := base + "/auth"
	form := url.Values{"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {"admin"}, "password": {adminPassword}}
	_, body := send(t, "POST", auth+"/realms/master/protocol/openid-connect/token",
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal([]byte(body), &tok) != nil || tok.AccessToken == "" {
		t.Fatalf("token: %s", body)
	}
	tests := []struct {
		name   string
		header map[string]string
		want   string
	}{
		{"XForwarded", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "id.example.com"}, "https://id.example.com/auth/admin/realms/acme"},
		{"Forwarded", map[string]string{"Forwarded": `for=192.0.2.1;host="id.example.com:8443";proto=https`}, "https://id.example.com:8443/auth/admin/realms/beta"},
		{"NoneForwarded", nil, auth + "/admin/realms/gamma"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer " + tok.AccessToken, "Content-Type": "application/json"}
			for k, v := range tt.header {
				h[k] = v
			}
			realm := tt.want[strings.LastIndex(tt.want, "/")+1:]
			resp, body := send(t, "POST", auth+"/admin/realms", h, `{"realm":"`+realm+`","enabled":true}`)
			if resp.StatusCode != 201 || resp.Header.Get("Location") != tt.want {
				t.Fatalf("= %d %q %s, want %q", resp.StatusCode, resp.Header.Get("Location"), body, tt.want)
			}
		})
	}
}
