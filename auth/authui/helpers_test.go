package authui_test

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authui"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// clock is a settable clock shared by the token service and the pages.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// env is OpenGate in memory (opengate.New) on a loopback listener, with
// realm acme, its public client web (PKCE, redirect https://app.example/cb,
// post-logout https://app.example/bye), its confidential client portal,
// and the user alice.
type env struct {
	t     testing.TB
	srv   *opengate.Server
	url   string
	clock *clock
	alice users.User

	run func() // starts the background work (newEnv calls it)

	mu     sync.Mutex
	emails []mfa.Message // email codes sent
}

// lastEmailCode returns the last email code sent.
func (e *env) lastEmailCode() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.emails) == 0 {
		e.t.Fatal("no email code was sent")
	}
	return e.emails[len(e.emails)-1].Code
}

const (
	realm      = "acme"
	redirect   = "https://app.example/cb"
	afterLeave = "https://app.example/bye"
	password   = "correct-horse-9"
	verifier   = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-verifier"
)

func challenge(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func newEnv(t testing.TB, change ...func(*realms.Realm)) *env {
	t.Helper()
	e := newPausedEnv(t, change...)
	e.run()
	return e
}

// newPausedEnv is newEnv without its background work (consumers, relays)
// until run is called: events published meanwhile wait on the in-process
// bus, so a test can make a consumer apply an event after what followed
// it.
func newPausedEnv(t testing.TB, change ...func(*realms.Realm)) *env {
	t.Helper()
	return newEnvWith(t, nil, change...)
}

// newEnvWith is newPausedEnv with a directory of login themes.
func newEnvWith(t testing.TB, themes fs.FS, change ...func(*realms.Realm)) *env {
	t.Helper()
	e := &env{t: t, clock: &clock{}}
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	e.url = ts.URL
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := opengate.New(ctx, opengate.Config{IssuerBase: ts.URL, Logger: slog.New(slog.DiscardHandler), LoginThemes: themes,
		Options: opengate.Options{Auth: []auth.Option{auth.WithClock(e.clock.Now)},
			AuthUI: []authui.Option{authui.WithClock(e.clock.Now)},
			MFA: []mfa.Option{mfa.WithClock(e.clock.Now), mfa.WithSender(mfa.SenderFunc(func(_ context.Context, m mfa.Message) error {
				e.mu.Lock()
				defer e.mu.Unlock()
				e.emails = append(e.emails, m)
				return nil
			}))}}})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	e.run = func() { go func() { ran <- srv.Run(ctx) }() }
	t.Cleanup(func() {
		cancel()
		select {
		case <-ran:
		case <-time.After(10 * time.Second):
		}
		srv.Close()
	})
	mux.Handle("/", srv.Handler())
	e.srv = srv
	r := realms.Realm{Name: realm, DisplayName: "Acme Corp", Enabled: true,
		BruteForce: realms.BruteForce{Enabled: true, FailureFactor: 3, WaitIncrement: time.Minute, MaxWait: 15 * time.Minute, ResetAfter: 12 * time.Hour}}
	for _, c := range change {
		c(&r)
	}
	if _, err := srv.Realms.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Clients.Create(ctx, realm, clients.Client{ClientID: "web", Name: "Web App", Enabled: true,
		PublicClient: true, StandardFlowEnabled: true, RedirectURIs: []string{redirect},
		Attributes: map[string]string{clients.AttrPostLogoutRedirectURIs: afterLeave}}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Clients.Create(ctx, realm, clients.Client{ClientID: "portal", Enabled: true,
		StandardFlowEnabled: true, RedirectURIs: []string{"https://portal.example/cb"}}, "portal-secret-0123456789"); err != nil {
		t.Fatal(err)
	}
	e.alice, err = srv.Users.Create(ctx, realm, users.User{Username: "alice", Email: "alice@example.com",
		EmailVerified: true, FirstName: "Alice", LastName: "Liddell", Enabled: true}, users.NewCredential{Value: password})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) issuer() string { return e.url + "/realms/" + realm }

// authURL is an authorization request of web with PKCE S256, changed by
// the given parameters ("" deletes one).
func (e *env) authURL(params ...string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {"web"}, "redirect_uri": {redirect},
		"scope": {"openid profile"}, "state": {"st-123"}, "nonce": {"n-456"},
		"code_challenge": {challenge(verifier)}, "code_challenge_method": {"S256"}}
	for i := 0; i+1 < len(params); i += 2 {
		if params[i+1] == "" {
			q.Del(params[i])
		} else {
			q.Set(params[i], params[i+1])
		}
	}
	return e.issuer() + "/protocol/openid-connect/auth?" + q.Encode()
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t      testing.TB
	e      *env
	client *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, e: e, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// resp is an answer with its body read.
type resp struct {
	status int
	header http.Header
	body   string
}

func (r resp) location() string { return r.header.Get("Location") }

func (b *browser) do(req *http.Request) resp {
	b.t.Helper()
	res, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(raw)}
}

func (b *browser) get(u string) resp {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) resp {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// follow follows redirects within the server, returning the first answer
// that is not one (or a redirect elsewhere: to the application).
func (b *browser) follow(r resp) resp {
	b.t.Helper()
	for i := 0; i < 10 && (r.status == http.StatusFound || r.status == http.StatusSeeOther); i++ {
		loc := r.location()
		if !strings.HasPrefix(loc, b.e.url+"/") {
			return r
		}
		r = b.get(loc)
	}
	return r
}

var (
	registerLink = regexp.MustCompile(`<a href="([^"]*login-actions/registration[^"]*)"`)
	formAction   = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	csrfField    = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
)

// form returns the action and CSRF token of the page's first form.
func (b *browser) form(r resp) (action, csrf string) {
	b.t.Helper()
	m := formAction.FindStringSubmatch(r.body)
	c := csrfField.FindStringSubmatch(r.body)
	if m == nil || c == nil {
		b.t.Fatalf("no form on the page (%d): %s", r.status, r.body)
	}
	return html.UnescapeString(m[1]), html.UnescapeString(c[1])
}

// submit posts the page's first form with fields and its CSRF token.
func (b *browser) submit(page resp, fields ...string) resp {
	b.t.Helper()
	action, csrf := b.form(page)
	form := url.Values{"csrf": {csrf}}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	return b.post(action, form)
}

// loginPage starts an authorization request and returns the login page.
func (b *browser) loginPage(params ...string) resp {
	b.t.Helper()
	r := b.get(b.e.authURL(params...))
	if r.status != http.StatusFound || !strings.Contains(r.location(), "/login-actions/authenticate?tx=") {
		b.t.Fatalf("authorization request: %d %s %s", r.status, r.location(), r.body)
	}
	page := b.follow(r)
	if page.status != http.StatusOK || !strings.Contains(page.body, `id="sign-in"`) {
		b.t.Fatalf("login page: %d %s", page.status, page.body)
	}
	return page
}

// callback checks that r sends the browser to the application with a code
// and state st-123 (and iss), and returns the code.
func (b *browser) callback(r resp) string {
	b.t.Helper()
	if r.status != http.StatusFound && r.status != http.StatusSeeOther {
		b.t.Fatalf("expected a redirect to the application, got %d: %s", r.status, r.body)
	}
	u, err := url.Parse(r.location())
	if err != nil || u.Scheme+"://"+u.Host+u.Path != redirect {
		b.t.Fatalf("redirected to %q", r.location())
	}
	q := u.Query()
	if q.Get("state") != "st-123" || q.Get("iss") != b.e.issuer() || q.Get("code") == "" {
		b.t.Fatalf("callback query = %v", q)
	}
	return q.Get("code")
}

// signIn runs the authorization request, the login form and returns the
// code.
func (b *browser) signIn(username, pw string, params ...string) string {
	b.t.Helper()
	return b.callback(b.follow(b.submit(b.loginPage(params...), "username", username, "password", pw)))
}

// tokens redeems a code at the token endpoint.
func (e *env) tokens(code, verifierValue string) (int, map[string]any) {
	e.t.Helper()
	res, err := http.PostForm(e.issuer()+"/protocol/openid-connect/token", url.Values{"grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {redirect}, "client_id": {"web"}, "code_verifier": {verifierValue}})
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body
}

// refresh uses a refresh token of web.
func (e *env) refresh(rt string) int {
	e.t.Helper()
	status, _ := e.refreshTokens(rt)
	return status
}

// refreshTokens uses a refresh token of web and returns the answer.
func (e *env) refreshTokens(rt string) (int, map[string]any) {
	e.t.Helper()
	res, err := http.PostForm(e.issuer()+"/protocol/openid-connect/token", url.Values{"grant_type": {"refresh_token"},
		"refresh_token": {rt}, "client_id": {"web"}})
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body
}

// claims decodes a JWT's payload.
func claims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// wantPage checks an HTML page's status and that it contains text.
func wantPage(t *testing.T, r resp, status int, text string) {
	t.Helper()
	if r.status != status || !strings.Contains(r.body, text) {
		t.Fatalf("got %d (want %d) without %q: %s", r.status, status, text, r.body)
	}
	if r.location() != "" {
		t.Fatalf("a page with Location %q", r.location())
	}
}

// authenticator enrols a confirmed authenticator app for user id and
// returns a function giving its current code (the mfa service accepts each
// step once: advance the clock 30 s between uses).
func (e *env) authenticator(id string) func() string {
	e.t.Helper()
	ctx := context.Background()
	en, err := e.srv.MFA.StartTOTP(ctx, realm, id, "alice", "Phone")
	if err != nil {
		e.t.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(en.Secret)
	if err != nil {
		e.t.Fatal(err)
	}
	code := func() string {
		c, err := mfa.GenerateTOTP(secret, en.Algorithm, en.Digits, en.Period, e.clock.Now())
		if err != nil {
			e.t.Fatal(err)
		}
		return c
	}
	if _, err := e.srv.MFA.ConfirmTOTP(ctx, realm, id, en.FactorID, code()); err != nil {
		e.t.Fatal(err)
	}
	e.clock.Advance(30 * time.Second)
	return code
}

// codeOf returns the current TOTP code of the key shown on an enrolment
// page.
func (e *env) codeOf(page resp) string {
	e.t.Helper()
	m := secretShown.FindStringSubmatch(page.body)
	if m == nil {
		e.t.Fatalf("no key on the page: %s", page.body)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(m[1], " ", ""))
	if err != nil {
		e.t.Fatal(err)
	}
	c, err := mfa.GenerateTOTP(secret, "HmacSHA1", 6, 30*time.Second, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

var secretShown = regexp.MustCompile(`id="totp-secret">([A-Z2-7 ]+)<`)

// hiddenFields returns the hidden inputs of the page's first form.
func hiddenFields(page resp) []string {
	var out []string
	for _, m := range hiddenInput.FindAllStringSubmatch(page.body, -1) {
		if m[1] != "csrf" {
			out = append(out, m[1], html.UnescapeString(m[2]))
		}
	}
	return out
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
