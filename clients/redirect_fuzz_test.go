package clients_test

import (
	"errors"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// FuzzMatchRedirectURI checks redirect-URI matching on arbitrary registered
// lists (newline-separated) and requested URIs: it never panics; a matched
// URI has no fragment and no user info, and is either registered exactly or
// (RFC 8252 §7.3) a registered http URI on a loopback IP literal with only
// the port changed — same host, path and query. ValidateRedirectURI never
// panics and refuses with CodeInvalid on field "redirectUris"; a URI it
// accepts has no fragment, wildcard or user info.
func FuzzMatchRedirectURI(f *testing.F) {
	for _, s := range [][2]string{
		{"https://app.example.com/cb", "https://app.example.com/cb"},
		{"https://app.example.com/cb", "https://app.example.com/cb/"},
		{"https://app.example.com/cb", "https://APP.example.com/cb"},
		{"https://app.example.com/cb", "https://app.example.com/cb#x"},
		{"https://app.example.com/cb", "https://app.example.com/cb?x=1"},
		{"http://127.0.0.1/cb", "http://127.0.0.1:51234/cb"},
		{"http://127.0.0.1/cb", "http://127.0.0.1:051234/cb"},
		{"http://127.0.0.1/cb", "http://127.0.0.1.evil.com:80/cb"},
		{"http://127.0.0.1/cb", "http://user@127.0.0.1:8080/cb"},
		{"http://[::1]:8080/cb?x=1", "http://[::1]:9/cb?x=1"},
		{"http://localhost/cb", "http://localhost:8080/cb"},
		{"com.example.app:/callback", "com.example.app:/callback"},
		{"https://a.example/cb\nhttp://127.0.0.1/x", "http://127.0.0.1:1/x"},
		{"", ""},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, registered, uri string) {
		reg := strings.Split(registered, "\n")
		c := clients.Client{RedirectURIs: reg}
		if clients.MatchRedirectURI(c, uri) {
			if strings.Contains(uri, "#") {
				t.Fatalf("matched %q with a fragment against %q", uri, reg)
			}
			if !slices.Contains(reg, uri) && !loopbackPortVariant(reg, uri) {
				t.Fatalf("matched %q, which is neither registered in %q nor a loopback port variant of it", uri, reg)
			}
		}
		err := clients.ValidateRedirectURI(uri)
		if err != nil {
			var e *iam.Error
			if !errors.As(err, &e) || e.Code != iam.CodeInvalid || e.Field != "redirectUris" {
				t.Fatalf("ValidateRedirectURI(%q) = %#v, want CodeInvalid on redirectUris", uri, err)
			}
			return
		}
		if strings.ContainsAny(uri, "#*") {
			t.Fatalf("ValidateRedirectURI accepted %q with a fragment or wildcard", uri)
		}
		if u, err := url.Parse(uri); err != nil || u.User != nil {
			t.Fatalf("ValidateRedirectURI accepted %q: parse %v, user info %v", uri, err, u)
		}
	})
}

// loopbackPortVariant reports whether uri is an http URI without user info
// on a loopback IP literal whose host, escaped path and query equal those
// of a registered http URI: the only inexact match RFC 8252 allows.
func loopbackPortVariant(reg []string, uri string) bool {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" || u.User != nil {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	if ip == nil || !ip.IsLoopback() {
		return false
	}
	for _, r := range reg {
		ru, err := url.Parse(r)
		if err == nil && ru.Scheme == "http" && ru.Hostname() == u.Hostname() &&
			ru.EscapedPath() == u.EscapedPath() && ru.RawQuery == u.RawQuery {
			return true
		}
	}
	return false
}
