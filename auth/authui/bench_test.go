package authui_test

import (
	"net/http"
	"strings"
	"testing"
)

// BenchmarkStartSignIn measures an authorization request of a browser
// without a session: the request is checked, a login flow is stored, and
// the login page is rendered (two requests over loopback HTTP, memory
// stores).
func BenchmarkStartSignIn(b *testing.B) {
	e := newEnv(b)
	br := e.browser()
	u := e.authURL()
	b.ReportAllocs()
	for b.Loop() {
		r := br.follow(br.get(u))
		if r.status != http.StatusOK || !strings.Contains(r.body, `id="sign-in"`) {
			b.Fatalf("login page: %d", r.status)
		}
	}
}

// BenchmarkSSOAuthorization measures an authorization request answered
// from the SSO session: the cookie's record and the session checked, the
// client's login published, a code issued and the redirect sent (one
// request).
func BenchmarkSSOAuthorization(b *testing.B) {
	e := newEnv(b)
	br := e.browser()
	br.signIn("alice", password)
	u := e.authURL()
	b.ReportAllocs()
	for b.Loop() {
		r := br.get(u)
		if r.status != http.StatusFound || !strings.HasPrefix(r.location(), redirect+"?") {
			b.Fatalf("SSO: %d %s", r.status, r.location())
		}
	}
}

// BenchmarkPasswordSignIn measures a whole sign-in with a password: the
// authorization request, the login page, the form (argon2id with the
// default parameters) and the redirect with the code.
func BenchmarkPasswordSignIn(b *testing.B) {
	e := newEnv(b)
	b.ReportAllocs()
	for b.Loop() {
		br := e.browser()
		br.signIn("alice", password)
	}
}
