package authui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCodeFlowSignsInAndTheCodeRedeemsOnce(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	code := b.signIn("alice", password)
	status, tok := e.tokens(code, verifier)
	if status != http.StatusOK {
		t.Fatalf("token exchange: %d %v", status, tok)
	}
	id := claims(t, tok["id_token"].(string))
	if id["nonce"] != "n-456" || id["sub"] != e.alice.ID || id["aud"] != "web" || id["iss"] != e.issuer() {
		t.Fatalf("ID token = %v", id)
	}
	sid, _ := id["sid"].(string)
	if sid == "" || tok["session_state"] != sid {
		t.Fatalf("sid %q, session_state %v", sid, tok["session_state"])
	}
	// The session service knows the session at once (in process), with the client.
	s, err := e.srv.Sessions.Get(context.Background(), realm, sid)
	if err != nil || s.UserID != e.alice.ID || len(s.Clients) != 1 {
		t.Fatalf("session = %+v, %v", s, err)
	}
	// Reuse: refused, and the tokens of the first redemption die.
	if status, body := e.tokens(code, verifier); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("reused code: %d %v", status, body)
	}
	if got := e.refresh(tok["refresh_token"].(string)); got != http.StatusBadRequest {
		t.Fatalf("refresh after code reuse: %d", got)
	}
}

func TestSecondAuthorizationIsSilentSSO(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	first := b.signIn("alice", password)
	_, tok1 := e.tokens(first, verifier)
	second := b.callback(b.get(e.authURL("nonce", "n-2")))
	_, tok2 := e.tokens(second, verifier)
	c1, c2 := claims(t, tok1["id_token"].(string)), claims(t, tok2["id_token"].(string))
	if c1["sid"] != c2["sid"] || c2["nonce"] != "n-2" || c1["auth_time"] != c2["auth_time"] {
		t.Fatalf("first %v, second %v", c1, c2)
	}
	// prompt=none too, when signed in.
	b.callback(b.get(e.authURL("prompt", "none")))
}

func TestPromptLoginAndMaxAgeForceTheLoginPage(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	first := b.signIn("alice", password)
	_, tok1 := e.tokens(first, verifier)
	b.loginPage("prompt", "login")
	e.clock.Advance(2 * time.Minute)
	b.loginPage("max_age", "60")
	// Within max_age, SSO answers.
	b.callback(b.get(e.authURL("max_age", "600")))
	// Signing in again keeps the session, with a new auth_time.
	code := b.signIn("alice", password, "prompt", "login")
	_, tok2 := e.tokens(code, verifier)
	c1, c2 := claims(t, tok1["id_token"].(string)), claims(t, tok2["id_token"].(string))
	if c1["sid"] != c2["sid"] || c2["auth_time"].(float64) <= c1["auth_time"].(float64) {
		t.Fatalf("first %v, second %v", c1, c2)
	}
}

// errorRedirect checks that r sends the error code back to the client with
// state and iss.
func errorRedirect(t *testing.T, e *env, r resp, code string) {
	t.Helper()
	if r.status != http.StatusFound {
		t.Fatalf("want a redirect with %s, got %d: %s", code, r.status, r.body)
	}
	u, _ := url.Parse(r.location())
	q := u.Query()
	if u.Scheme+"://"+u.Host+u.Path != redirect || q.Get("error") != code || q.Get("state") != "st-123" ||
		q.Get("iss") != e.issuer() || q.Get("code") != "" {
		t.Fatalf("redirected to %s", r.location())
	}
}

func TestAuthorizationErrorsGoBackToTheClient(t *testing.T) {
	tests := []struct {
		name   string
		params []string
		code   string
	}{
		{"PromptNoneWithoutSession", []string{"prompt", "none"}, "login_required"},
		{"MissingPKCEForAPublicClient", []string{"code_challenge", "", "code_challenge_method", ""}, "invalid_request"},
		{"PlainPKCEIsRefused", []string{"code_challenge", verifier, "code_challenge_method", "plain"}, "invalid_request"},
		{"FragmentResponseModeIsRefused", []string{"response_mode", "fragment"}, "invalid_request"},
		{"TokenResponseType", []string{"response_type", "token"}, "unsupported_response_type"},
		{"UnknownScope", []string{"scope", "openid admin"}, "invalid_scope"},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errorRedirect(t, e, e.browser().get(e.authURL(tt.params...)), tt.code)
		})
	}
}

func TestBadClientOrRedirectShowsAPageAndNeverRedirects(t *testing.T) {
	tests := []struct {
		name   string
		params []string
		status int
		text   string
	}{
		{"UnregisteredRedirectURI", []string{"redirect_uri", "https://evil.example/cb"}, 400, "redirect_uri"},
		{"RedirectURIWithAnExtraPath", []string{"redirect_uri", redirect + "/../../evil"}, 400, "redirect_uri"},
		{"RedirectURIWithAnotherPort", []string{"redirect_uri", "https://app.example:444/cb"}, 400, "redirect_uri"},
		{"UnknownClient", []string{"client_id", "nobody"}, 400, "Client not found"},
		{"MissingClient", []string{"client_id", ""}, 400, "client_id"},
	}
	e := newEnv(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantPage(t, e.browser().get(e.authURL(tt.params...)), tt.status, tt.text)
		})
	}
	t.Run("RepeatedParameter", func(t *testing.T) {
		wantPage(t, e.browser().get(e.authURL()+"&redirect_uri="+url.QueryEscape("https://evil.example/cb")), 400, "repeated")
	})
	t.Run("UnknownRealm", func(t *testing.T) {
		r := e.browser().get(e.url + "/realms/nowhere/protocol/openid-connect/auth?client_id=web")
		wantPage(t, r, 404, "not found")
	})
}

func TestTheCodeIsBoundToTheVerifierAndExpires(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	code := b.signIn("alice", password)
	if status, body := e.tokens(code, strings.Repeat("x", 43)); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %v", status, body)
	}
	// The wrong verifier consumed it: the right one is now a reuse.
	if status, _ := e.tokens(code, verifier); status != http.StatusBadRequest {
		t.Fatalf("code after a failed redemption: %d", status)
	}
	expired := b.callback(b.get(e.authURL()))
	e.clock.Advance(61 * time.Second) // the realm's accessCodeLifespan is 60 s
	if status, body := e.tokens(expired, verifier); status != http.StatusBadRequest || body["error_description"] != "Code is expired" {
		t.Fatalf("expired code: %d %v", status, body)
	}
}

func TestLoginFormRefusesMissingOrWrongCSRF(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	page := b.loginPage()
	action, _ := b.form(page)
	wantPage(t, b.post(action, url.Values{"username": {"alice"}, "password": {password}}), 403, "expired")
	wantPage(t, b.post(action, url.Values{"csrf": {"forged"}, "username": {"alice"}, "password": {password}}), 403, "expired")
	// Another browser cannot use the flow, even with its token.
	other := e.browser()
	_, csrf := b.form(page)
	wantPage(t, other.post(action, url.Values{"csrf": {csrf}, "username": {"alice"}, "password": {password}}), 400, "expired")
	// The right token still works.
	b.callback(b.follow(b.submit(page, "username", "alice", "password", password)))
}

func TestLoginFormIgnoresARedirectOfItsOwn(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	page := b.loginPage()
	r := b.follow(b.submit(page, "username", "alice", "password", password,
		"redirect_uri", "https://evil.example/cb", "post_logout_redirect_uri", "https://evil.example/"))
	b.callback(r) // to the registered redirect URI, whatever the form said
}

func TestWrongPasswordShowsTheFormAndFeedsBruteForce(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	page := b.loginPage("login_hint", "alice")
	if !strings.Contains(page.body, `value="alice"`) {
		t.Fatal("login_hint did not fill the username")
	}
	for range 3 {
		r := b.submit(page, "username", "alice", "password", "wrong")
		wantPage(t, r, http.StatusUnauthorized, "Invalid username or password.")
		if strings.Contains(r.body, "wrong") {
			t.Fatal("the page shows the password typed")
		}
	}
	// Locked out now: the right password fails too.
	wantPage(t, b.submit(page, "username", "alice", "password", password), http.StatusUnauthorized, "Invalid username or password.")
	st, err := e.srv.Auth.BruteForceStatus(context.Background(), realm, e.alice.ID)
	if err != nil || !st.Disabled {
		t.Fatalf("brute force status = %+v, %v", st, err)
	}
	e.clock.Advance(2 * time.Minute)
	b.callback(b.follow(b.submit(page, "username", "alice@example.com", "password", password)))
}

func TestFormPostResponseMode(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	r := b.follow(b.submit(b.loginPage("response_mode", "form_post"), "username", "alice", "password", password))
	if r.status != http.StatusOK || !strings.Contains(r.body, `action="https://app.example/cb"`) ||
		!strings.Contains(r.body, `name="code"`) || !strings.Contains(r.body, `name="iss" value="`+e.issuer()+`"`) ||
		!strings.Contains(r.body, `name="state" value="st-123"`) {
		t.Fatalf("form_post page: %d %s", r.status, r.body)
	}
	csp := r.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self' https://app.example") {
		t.Fatalf("CSP = %q", csp)
	}
}

func TestAFlowCompletesOnce(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	page := b.loginPage()
	var wg sync.WaitGroup
	results := make([]resp, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = b.submit(page, "username", "alice", "password", password)
		}()
	}
	wg.Wait()
	codes := 0
	for _, r := range results {
		if r.status == http.StatusSeeOther && strings.HasPrefix(r.location(), redirect) {
			codes++
		}
	}
	if codes != 1 {
		t.Fatalf("%d of %d concurrent submissions got a code", codes, len(results))
	}
}

func TestDiscoveryAdvertisesTheAuthorizationEndpoint(t *testing.T) {
	e := newEnv(t)
	res, err := http.Get(e.issuer() + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	if m["authorization_endpoint"] != e.issuer()+"/protocol/openid-connect/auth" ||
		m["authorization_response_iss_parameter_supported"] != true ||
		m["end_session_endpoint"] != e.issuer()+"/protocol/openid-connect/logout" {
		t.Fatalf("discovery = %v", m)
	}
}
