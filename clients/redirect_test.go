package clients_test

import (
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

func TestValidateRedirectURI(t *testing.T) {
	tests := []struct {
		uri string
		ok  bool
	}{
		{"https://app.example.com/callback", true},
		{"https://app.example.com:8443/cb?tenant=1", true},
		{"http://127.0.0.1/cb", true},
		{"http://127.0.0.1:8080/cb", true},
		{"http://[::1]/cb", true},
		{"http://localhost:3000/callback", true},
		{"com.example.app:/oauth2redirect", true},
		{"myapp://callback", true},
		{"http://app.example.com/callback", false},                      // plain http off loopback
		{"http://127.0.0.1.evil.com/cb", false},                         // not a loopback host
		{"https://app.example.com/cb#frag", false},                      // fragment
		{"https://app.example.com/cb#", false},                          // empty fragment
		{"https://*.example.com/cb", false},                             // wildcard
		{"https://app.example.com/*", false},                            // wildcard
		{"javascript:alert(1)", false},                                  // script
		{"JavaScript:alert(1)", false},                                  // script, any case
		{"data:text/html,hi", false},                                    // data
		{"vbscript:msgbox", false},                                      // script
		{"file:///etc/passwd", false},                                   // local file
		{"/relative/cb", false},                                         // not absolute
		{"https:///cb", false},                                          // no host
		{"https://user:pw@app.example.com/cb", false},                   // user info
		{"https://app.example.com/c b", false},                          // space
		{"", false},                                                     // empty
		{"https://app.example.com/" + strings.Repeat("a", 2100), false}, // too long
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			err := clients.ValidateRedirectURI(tt.uri)
			if tt.ok && err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if !tt.ok && (iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "redirectUris") {
				t.Fatalf("err = %v, want invalid redirectUris", err)
			}
		})
	}
}

func TestMatchRedirectURI(t *testing.T) {
	c := clients.Client{RedirectURIs: []string{
		"https://app.example.com/callback",
		"https://app.example.com/cb?x=1",
		"http://127.0.0.1/native",
		"http://[::1]:9000/native6",
		"http://localhost:3000/dev",
		"com.example.app:/oauth2redirect",
	}}
	tests := []struct {
		uri  string
		want bool
	}{
		{"https://app.example.com/callback", true},
		{"https://app.example.com/cb?x=1", true},
		{"com.example.app:/oauth2redirect", true},
		{"http://127.0.0.1/native", true},
		{"http://127.0.0.1:51234/native", true}, // any port on a loopback IP literal
		{"http://[::1]:1234/native6", true},     // any port, IPv6
		{"http://[::1]/native6", true},          // registered with a port, requested without
		{"http://localhost:3000/dev", true},     // localhost: exact only
		{"http://localhost:3001/dev", false},    // localhost is not an IP literal: port fixed
		{"https://app.example.com/callback/", false},
		{"https://APP.example.com/callback", false}, // no normalization: exact string match
		{"https://app.example.com/callback?x=1", false},
		{"https://app.example.com/cb", false},
		{"https://app.example.com/cb?x=2", false},
		{"https://app.example.com/callback#x", false},
		{"https://app.example.com/callback/../callback", false},
		{"https://evil.example.com/callback", false},
		{"http://127.0.0.1:51234/native/extra", false},
		{"http://127.0.0.1:51234/native?code=x", false},
		{"http://127.0.0.2:51234/native", false}, // other loopback address than registered
		{"http://127.0.0.1:0/native", false},
		{"http://127.0.0.1:99999/native", false},
		{"http://127.0.0.1:080/native", false},
		{"https://127.0.0.1:5000/native", false},     // other scheme
		{"http://user@127.0.0.1:5000/native", false}, // user info
		{"", false},
	}
	for _, tt := range tests {
		if got := clients.MatchRedirectURI(c, tt.uri); got != tt.want {
			t.Errorf("MatchRedirectURI(%q) = %v, want %v", tt.uri, got, tt.want)
		}
	}
}

func TestPostLogoutRedirectURIs(t *testing.T) {
	c := clients.Client{
		RedirectURIs: []string{"https://app.test/cb"},
		Attributes:   map[string]string{clients.AttrPostLogoutRedirectURIs: "https://app.test/bye##+"},
	}
	if got := clients.PostLogoutRedirectURIs(c); strings.Join(got, " ") != "https://app.test/bye https://app.test/cb" {
		t.Fatalf("PostLogoutRedirectURIs = %v", got)
	}
	if !clients.MatchPostLogoutRedirectURI(c, "https://app.test/bye") || !clients.MatchPostLogoutRedirectURI(c, "https://app.test/cb") ||
		clients.MatchPostLogoutRedirectURI(c, "https://evil.test/") {
		t.Fatal("post-logout matching")
	}
	if clients.MatchPostLogoutRedirectURI(clients.Client{RedirectURIs: []string{"https://app.test/cb"}}, "https://app.test/cb") {
		t.Fatal("a client without the attribute allows no post-logout redirect")
	}
}
