package authui_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func (e *env) logoutURL(params ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Set(params[i], params[i+1])
	}
	return e.issuer() + "/protocol/openid-connect/logout?" + q.Encode()
}

func TestLogoutWithAnIDTokenHintEndsTheSession(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	_, tok := e.tokens(b.signIn("alice", password), verifier)
	r := b.get(e.logoutURL("id_token_hint", tok["id_token"].(string), "post_logout_redirect_uri", afterLeave, "state", "bye-1"))
	if r.status != http.StatusFound || r.location() != afterLeave+"?state=bye-1" {
		t.Fatalf("logout: %d %q %s", r.status, r.location(), r.body)
	}
	if got := e.refresh(tok["refresh_token"].(string)); got != http.StatusBadRequest {
		t.Fatalf("refresh after logout: %d", got)
	}
	// The SSO session is over: the next authorization shows the login page.
	b.loginPage()
}

func TestLogoutWithoutAHintAsksToConfirm(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	_, tok := e.tokens(b.signIn("alice", password), verifier)
	page := b.get(e.logoutURL("client_id", "web", "post_logout_redirect_uri", afterLeave, "state", "s"))
	wantPage(t, page, http.StatusOK, `id="sign-out"`)
	action, _ := b.form(page)
	// Without the CSRF token nothing happens.
	wantPage(t, b.post(action, url.Values{"confirm": {"yes"}}), http.StatusForbidden, "expired")
	wantPage(t, b.post(action, url.Values{"confirm": {"yes"}, "csrf": {"forged"}}), http.StatusForbidden, "expired")
	if got := e.refresh(tok["refresh_token"].(string)); got != http.StatusOK {
		t.Fatalf("a refused confirmation ended the session: %d", got)
	}
	r := b.submit(page, append(hiddenFields(page), "confirm", "yes")...)
	if r.status != http.StatusSeeOther || r.location() != afterLeave+"?state=s" {
		t.Fatalf("confirmed logout: %d %q", r.status, r.location())
	}
	b.loginPage()
	// Signed out already: the endpoint says so (or redirects) without asking.
	wantPage(t, b.get(e.logoutURL()), http.StatusOK, "You have been signed out.")
}

func TestLogoutNeverRedirectsToAnUnregisteredURI(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	_, tok := e.tokens(b.signIn("alice", password), verifier)
	hint := tok["id_token"].(string)
	tests := []struct {
		name   string
		params []string
	}{
		{"UnregisteredURI", []string{"id_token_hint", hint, "post_logout_redirect_uri", "https://evil.example/"}},
		{"RedirectURIIsNotAPostLogoutURI", []string{"id_token_hint", hint, "post_logout_redirect_uri", redirect}},
		{"URIWithoutAClient", []string{"post_logout_redirect_uri", afterLeave}},
		{"ClientNotTheHints", []string{"id_token_hint", hint, "client_id", "portal", "post_logout_redirect_uri", afterLeave}},
		{"ForgedHint", []string{"id_token_hint", hint[:len(hint)-6] + "AAAAAA", "post_logout_redirect_uri", afterLeave}},
		{"AnotherClientsURI", []string{"client_id", "portal", "post_logout_redirect_uri", afterLeave}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := b.get(e.logoutURL(tt.params...))
			if r.status != http.StatusBadRequest || r.location() != "" {
				t.Fatalf("got %d, Location %q", r.status, r.location())
			}
		})
	}
	if got := e.refresh(tok["refresh_token"].(string)); got != http.StatusOK {
		t.Fatalf("a refused logout ended the session: %d", got)
	}
}

func TestBackChannelLogoutWithARefreshTokenStillWorks(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	_, tok := e.tokens(b.signIn("alice", password), verifier)
	res, err := http.PostForm(e.logoutURL(), url.Values{"client_id": {"web"}, "refresh_token": {tok["refresh_token"].(string)}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("back-channel logout: %d", res.StatusCode)
	}
	// A client's POST without a refresh token gets the OAuth error, as before.
	res, err = http.Post(e.logoutURL(), "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusBadRequest || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("JSON logout: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	// The browser's session ended with it.
	b.loginPage()
}
