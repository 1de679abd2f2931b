package authui_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/realms"
)

// setCookie returns the Set-Cookie header of cookie name.
func setCookie(h http.Header, name string) string {
	for _, c := range h.Values("Set-Cookie") {
		if strings.HasPrefix(c, name+"=") {
			return c
		}
	}
	return ""
}

func TestCookiesAreHttpOnlyLaxScopedToTheRealmAndSecureUnderHTTPS(t *testing.T) {
	for _, tt := range []struct {
		issuer string
		secure bool
		path   string
	}{
		{"https://id.example.test", true, "Path=/realms/acme/"},
		{"http://localhost:8080", false, "Path=/realms/acme/"},
		{"https://example.test/sso", true, "Path=/sso/realms/acme/"},
	} {
		t.Run(tt.issuer, func(t *testing.T) {
			ctx := context.Background()
			srv, err := opengate.New(ctx, opengate.Config{IssuerBase: tt.issuer, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(srv.Close)
			if _, err := srv.Realms.Create(ctx, realms.Realm{Name: realm, Enabled: true}); err != nil {
				t.Fatal(err)
			}
			if _, err := srv.Clients.Create(ctx, realm, clients.Client{ClientID: "portal", Enabled: true,
				StandardFlowEnabled: true, RedirectURIs: []string{"https://portal.example/cb"}}, "portal-secret-0123456789"); err != nil {
				t.Fatal(err)
			}
			q := url.Values{"response_type": {"code"}, "client_id": {"portal"}, "redirect_uri": {"https://portal.example/cb"}}
			rec := httptest.NewRecorder()
			srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/realms/acme/protocol/openid-connect/auth?"+q.Encode(), nil))
			if rec.Code != http.StatusFound || !strings.HasPrefix(rec.Header().Get("Location"), tt.issuer+"/realms/acme/login-actions/authenticate?tx=") {
				t.Fatalf("authorization request: %d %q", rec.Code, rec.Header().Get("Location"))
			}
			c := setCookie(rec.Header(), "OPENGATE_LOGIN")
			for _, want := range []string{"HttpOnly", "SameSite=Lax", tt.path} {
				if !strings.Contains(c, want) {
					t.Errorf("cookie %q lacks %s", c, want)
				}
			}
			if strings.Contains(c, "Secure") != tt.secure {
				t.Errorf("cookie %q: Secure should be %v", c, tt.secure)
			}
		})
	}
}
