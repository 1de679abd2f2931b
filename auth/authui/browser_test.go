package authui_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users"
)

// -screenshots rewrites the pages' screenshots under docs/img (the README
// and docs/login.md show them); CI runs without it and leaves the tree
// alone.
var screenshots = flag.Bool("screenshots", false, "save screenshots of the login, MFA and account pages under docs/img")

// relyingParty is a small web application signing users in with OpenGate
// through unmodified OIDC libraries: golang.org/x/oauth2 for the
// authorization-code flow with PKCE, github.com/coreos/go-oidc/v3 for
// discovery and ID-token verification. Each browser has a session of its
// own (a cookie); the test reads the tokens the application holds.
type relyingParty struct {
	t        *testing.T
	url      string
	issuer   string
	provider *oidc.Provider
	config   oauth2.Config
	verifier *oidc.IDTokenVerifier

	mu       sync.Mutex
	pending  map[string]pendingLogin // by state
	sessions map[string]*rpSession   // by cookie
}

type pendingLogin struct{ nonce, verifier, session string }

// rpSession is what the application knows of one browser.
type rpSession struct {
	token   *oauth2.Token
	idToken *oidc.IDToken
	claims  struct {
		Subject string `json:"sub"`
		Name    string `json:"name"`
		SID     string `json:"sid"`
	}
	logins int // authorization responses received
}

func newRelyingParty(t *testing.T, e *env) *relyingParty {
	t.Helper()
	rp := &relyingParty{t: t, issuer: e.issuer(), pending: map[string]pendingLogin{}, sessions: map[string]*rpSession{}}
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	rp.url = strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	_, err := e.srv.Clients.Create(context.Background(), realm, clients.Client{ClientID: "shop", Name: "Acme Shop",
		Enabled: true, StandardFlowEnabled: true, RedirectURIs: []string{rp.url + "/callback"},
		Attributes: map[string]string{clients.AttrPostLogoutRedirectURIs: rp.url + "/bye", clients.AttrPKCEMethod: "S256"}},
		"shop-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if rp.provider, err = oidc.NewProvider(ctx, rp.issuer); err != nil {
		t.Fatal(err)
	}
	rp.config = oauth2.Config{ClientID: "shop", ClientSecret: "shop-secret-0123456789", Endpoint: rp.provider.Endpoint(),
		RedirectURL: rp.url + "/callback", Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
	rp.verifier = rp.provider.Verifier(&oidc.Config{ClientID: "shop"})
	mux.HandleFunc("GET /", rp.home)
	mux.HandleFunc("GET /login", rp.login)
	mux.HandleFunc("GET /callback", rp.callback)
	mux.HandleFunc("GET /logout", rp.logout)
	mux.HandleFunc("GET /bye", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><p id="bye">Signed out of the shop (state %s)</p>`, html.EscapeString(r.URL.Query().Get("state")))
	})
	return rp
}

func random() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// session returns the browser's application session, making one.
func (rp *relyingParty) session(w http.ResponseWriter, r *http.Request) (string, *rpSession) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if c, err := r.Cookie("shop"); err == nil && rp.sessions[c.Value] != nil {
		return c.Value, rp.sessions[c.Value]
	}
	id := random()
	rp.sessions[id] = &rpSession{}
	http.SetCookie(w, &http.Cookie{Name: "shop", Value: id, Path: "/", HttpOnly: true})
	return id, rp.sessions[id]
}

func (rp *relyingParty) home(w http.ResponseWriter, r *http.Request) {
	_, s := rp.session(w, r)
	rp.mu.Lock()
	signedIn := s.idToken != nil
	name := s.claims.Name
	rp.mu.Unlock()
	if !signedIn {
		http.Redirect(w, r, "/login", http.StatusFound)
		return
	}
	fmt.Fprintf(w, `<!doctype html><h1 id="hello">Hello, %s</h1><a id="logout" href="/logout">Log out</a>`, html.EscapeString(name))
}

// login starts the authorization-code flow with state, nonce and PKCE.
func (rp *relyingParty) login(w http.ResponseWriter, r *http.Request) {
	id, _ := rp.session(w, r)
	state, nonce, verifier := random(), random(), oauth2.GenerateVerifier()
	rp.mu.Lock()
	rp.pending[state] = pendingLogin{nonce: nonce, verifier: verifier, session: id}
	rp.mu.Unlock()
	http.Redirect(w, r, rp.config.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier)), http.StatusFound)
}

// callback checks state and iss (RFC 9207), redeems the code and verifies
// the ID token (signature, issuer, audience, expiry, nonce, at_hash).
func (rp *relyingParty) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rp.mu.Lock()
	p, ok := rp.pending[q.Get("state")]
	delete(rp.pending, q.Get("state"))
	rp.mu.Unlock()
	if !ok || q.Get("iss") != rp.issuer || q.Get("error") != "" {
		http.Error(w, "bad callback: "+r.URL.RawQuery, http.StatusBadRequest)
		return
	}
	ctx := r.Context()
	tok, err := rp.config.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(p.verifier))
	if err != nil {
		http.Error(w, "exchange: "+err.Error(), http.StatusBadGateway)
		return
	}
	raw, _ := tok.Extra("id_token").(string)
	id, err := rp.verifier.Verify(ctx, raw)
	if err == nil && id.Nonce != p.nonce {
		err = fmt.Errorf("nonce %q, want %q", id.Nonce, p.nonce)
	}
	if err == nil {
		err = id.VerifyAccessToken(tok.AccessToken)
	}
	if err != nil {
		http.Error(w, "ID token: "+err.Error(), http.StatusBadGateway)
		return
	}
	rp.mu.Lock()
	s := rp.sessions[p.session]
	s.token, s.idToken = tok, id
	err = id.Claims(&s.claims)
	s.logins++
	rp.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	http.Redirect(w, r, "/", http.StatusFound)
}

// logout forgets the session and asks OpenGate to end it (RP-initiated
// logout with id_token_hint).
func (rp *relyingParty) logout(w http.ResponseWriter, r *http.Request) {
	_, s := rp.session(w, r)
	rp.mu.Lock()
	raw := ""
	if s.token != nil {
		raw, _ = s.token.Extra("id_token").(string)
	}
	s.idToken = nil
	rp.mu.Unlock()
	var end struct {
		URL string `json:"end_session_endpoint"`
	}
	if err := rp.provider.Claims(&end); err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	q := url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {rp.url + "/bye"}, "state": {"see-you"}}
	http.Redirect(w, r, end.URL+"?"+q.Encode(), http.StatusFound)
}

// bySID returns a copy of the application's session of OpenGate session
// sid.
func (rp *relyingParty) bySID(t *testing.T, sid string) rpSession {
	t.Helper()
	rp.mu.Lock()
	defer rp.mu.Unlock()
	for _, s := range rp.sessions {
		if s.token != nil && s.claims.SID == sid {
			return *s
		}
	}
	t.Fatalf("the application has no session of %s", sid)
	return rpSession{}
}

// sessionsOf returns copies of the application's sessions of user sub.
func (rp *relyingParty) sessionsOf(sub string) []rpSession {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	var out []rpSession
	for _, s := range rp.sessions {
		if s.token != nil && s.claims.Subject == sub {
			out = append(out, *s)
		}
	}
	return out
}

// refreshes reports whether the refresh token of the application's
// session of sid still works, keeping the rotated one it gets.
func (rp *relyingParty) refreshes(sid string) bool {
	rp.mu.Lock()
	var s *rpSession
	for _, x := range rp.sessions {
		if x.token != nil && x.claims.SID == sid {
			s = x
		}
	}
	rt := s.token.RefreshToken
	rp.mu.Unlock()
	tok, err := rp.config.TokenSource(context.Background(), &oauth2.Token{RefreshToken: rt}).Token()
	if err != nil {
		return false
	}
	rp.mu.Lock()
	s.token = tok
	rp.mu.Unlock()
	return true
}

// chrome runs one headless Chromium for the whole test (the machine is
// small: every subtest reuses it, in tabs of their own browser contexts).
func chrome(t *testing.T) context.Context {
	t.Helper()
	exec := iamtest.Chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exec), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("lang", "en-US"), chromedp.WindowSize(960, 860))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Run(ctx); err != nil { // start the browser
		t.Fatalf("starting %s: %v", exec, err)
	}
	return ctx
}

// tab opens a tab in a fresh browser context (its own cookies, like a
// separate browser) of the running Chromium, disposed when the test ends.
// Headless Chromium opens the first tab of a new browser context only in
// a window of its own (newWindow), which chromedp.WithNewBrowserContext
// does not ask for, so the tab is made here and attached to.
func tab(t *testing.T, browser context.Context) context.Context {
	t.Helper()
	exec := cdp.WithExecutor(browser, chromedp.FromContext(browser).Browser)
	id, err := target.CreateBrowserContext().Do(exec)
	if err != nil {
		t.Fatal(err)
	}
	tid, err := target.CreateTarget("about:blank").WithBrowserContextID(id).WithNewWindow(true).Do(exec)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithTargetID(tid))
	t.Cleanup(func() {
		cancel()
		_ = target.DisposeBrowserContext(id).Do(exec)
	})
	if err := chromedp.Run(ctx, emulation.SetDeviceMetricsOverride(960, 860, 1, false)); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// run runs actions in the tab with a deadline.
func run(t *testing.T, tab context.Context, actions ...chromedp.Action) {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, 30*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var loc, body string
		_ = chromedp.Run(tab, chromedp.Location(&loc), chromedp.Text("body", &body, chromedp.ByQuery))
		t.Fatalf("%v\nat %s: %s", err, loc, body)
	}
}

// screenshot saves the tab's page as docs/img/name.png with -screenshots.
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	if !*screenshots {
		return
	}
	var png []byte
	run(t, tab, chromedp.CaptureScreenshot(&png))
	path := filepath.Join("..", "..", "docs", "img", name+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s", path)
}

// signIn types the credentials on the login page the tab shows.
func signIn(username, pw string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.WaitVisible("#username", chromedp.ByID),
		chromedp.SendKeys("#username", username, chromedp.ByID),
		chromedp.SendKeys("#password", pw, chromedp.ByID),
		chromedp.Click("#sign-in", chromedp.ByID),
	}
}

func TestInABrowser(t *testing.T) {
	browser := chrome(t)
	e := newEnv(t)
	rp := newRelyingParty(t, e)
	code := e.authenticator(e.alice.ID)

	main := tab(t, browser)
	var mainSID string // OpenGate's session of the main tab
	t.Run("SignInWithTheSecondFactor", func(t *testing.T) {
		run(t, main, chromedp.Navigate(rp.url+"/"), chromedp.WaitVisible("#sign-in", chromedp.ByID))
		var loc string
		run(t, main, chromedp.Location(&loc))
		if !strings.HasPrefix(loc, e.issuer()+"/login-actions/authenticate?tx=") {
			t.Fatalf("the application sent the browser to %s", loc)
		}
		screenshot(t, main, "login")
		run(t, main, signIn("alice", password), chromedp.WaitVisible("#code", chromedp.ByID))
		screenshot(t, main, "mfa")
		var hello string
		run(t, main, chromedp.SendKeys("#code", code(), chromedp.ByID), chromedp.Click("#verify", chromedp.ByID),
			chromedp.WaitVisible("#hello", chromedp.ByID), chromedp.Text("#hello", &hello, chromedp.ByID))
		sessions := rp.sessionsOf(e.alice.ID)
		if hello != "Hello, Alice Liddell" || len(sessions) != 1 || sessions[0].logins != 1 || sessions[0].claims.SID == "" {
			t.Fatalf("application page %q, sessions %+v", hello, sessions)
		}
		mainSID = sessions[0].claims.SID
	})

	t.Run("SecondVisitIsSilentSSO", func(t *testing.T) {
		before := rp.bySID(t, mainSID)
		var mu sync.Mutex
		var visited []string
		listen, stop := context.WithCancel(main)
		chromedp.ListenTarget(listen, func(ev any) {
			if n, ok := ev.(*page.EventFrameNavigated); ok {
				mu.Lock()
				visited = append(visited, n.Frame.URL)
				mu.Unlock()
			}
		})
		run(t, main, chromedp.Navigate(rp.url+"/login"), chromedp.WaitVisible("#hello", chromedp.ByID))
		stop()
		after := rp.bySID(t, mainSID)
		if after.logins != before.logins+1 {
			t.Fatalf("second visit: %d authorization responses, want %d", after.logins, before.logins+1)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, u := range visited {
			if strings.Contains(u, "/login-actions/") {
				t.Fatalf("the second visit showed %s (visited %v)", u, visited)
			}
		}
	})

	t.Run("TemporaryPasswordMustBeReplaced", func(t *testing.T) {
		ctx := context.Background()
		bob, err := e.srv.Users.Create(ctx, realm, users.User{Username: "bob", FirstName: "Bob", Email: "bob@example.com",
			EmailVerified: true, Enabled: true}, users.NewCredential{Value: "temporary-9", Temporary: true})
		if err != nil {
			t.Fatal(err)
		}
		other := tab(t, browser)
		run(t, other, chromedp.Navigate(rp.url+"/"), signIn("bob", "temporary-9"),
			chromedp.WaitVisible("#password-new", chromedp.ByID))
		screenshot(t, other, "update-password")
		run(t, other, chromedp.SendKeys("#password-new", "bobs-own-password-1", chromedp.ByID),
			chromedp.SendKeys("#password-confirm", "bobs-own-password-1", chromedp.ByID),
			chromedp.Click("#save-password", chromedp.ByID), chromedp.WaitVisible("#hello", chromedp.ByID))
		if _, err := e.srv.Users.Authenticate(ctx, realm, "bob", "bobs-own-password-1"); err != nil {
			t.Fatalf("bob's new password: %v", err)
		}
		if len(rp.sessionsOf(bob.ID)) != 1 {
			t.Fatal("the application has no session of bob")
		}
	})

	t.Run("AccountPagesEndAnotherSessionAndChangeThePassword", func(t *testing.T) {
		// Alice signs in in a second browser too.
		second := tab(t, browser)
		e.clock.Advance(30 * time.Second) // the authenticator's next code
		run(t, second, chromedp.Navigate(rp.url+"/"), signIn("alice", password),
			chromedp.WaitVisible("#code", chromedp.ByID), chromedp.SendKeys("#code", code(), chromedp.ByID),
			chromedp.Click("#verify", chromedp.ByID), chromedp.WaitVisible("#hello", chromedp.ByID))
		sessions := rp.sessionsOf(e.alice.ID)
		if len(sessions) != 2 || sessions[0].claims.SID == sessions[1].claims.SID {
			t.Fatalf("alice's sessions in the application: %d", len(sessions))
		}
		run(t, main, chromedp.Navigate(e.accountURL("profile")), chromedp.WaitVisible("#save-profile", chromedp.ByID))
		screenshot(t, main, "account")
		run(t, main, chromedp.Navigate(e.accountURL("devices")), chromedp.WaitVisible("#sessions", chromedp.ByID))
		screenshot(t, main, "account-sessions")
		var buttons int
		run(t, main, chromedp.Evaluate(`document.querySelectorAll("#sessions button.danger").length`, &buttons))
		if buttons != 1 {
			t.Fatalf("%d sign-out buttons, want 1 (the other browser's)", buttons)
		}
		run(t, main, chromedp.Click("#sessions button.danger", chromedp.ByQuery),
			chromedp.WaitVisible(`//div[contains(., "That session has been signed out.")]`))
		for _, s := range sessions {
			if s.claims.SID != mainSID {
				waitFor(t, func() bool { return !rp.refreshes(s.claims.SID) })
			}
		}
		// The other browser must sign in again.
		run(t, second, chromedp.Navigate(rp.url+"/login"), chromedp.WaitVisible("#sign-in", chromedp.ByID))

		run(t, main, chromedp.Navigate(e.accountURL("password")),
			chromedp.SendKeys("#password-current", password, chromedp.ByID),
			chromedp.SendKeys("#password-new", "alices-new-password-2", chromedp.ByID),
			chromedp.SendKeys("#password-confirm", "alices-new-password-2", chromedp.ByID),
			chromedp.Click("#change-password", chromedp.ByID),
			chromedp.WaitVisible(`//div[contains(., "Your password has been changed.")]`))
		if _, err := e.srv.Users.Authenticate(context.Background(), realm, "alice", "alices-new-password-2"); err != nil {
			t.Fatalf("the new password: %v", err)
		}
	})

	t.Run("LogoutEndsTheSessionAndItsRefreshToken", func(t *testing.T) {
		if !rp.refreshes(mainSID) {
			t.Fatal("the refresh token died before logout")
		}
		var bye string
		run(t, main, chromedp.Navigate(rp.url+"/"), chromedp.Click("#logout", chromedp.ByID),
			chromedp.WaitVisible("#bye", chromedp.ByID), chromedp.Text("#bye", &bye, chromedp.ByID))
		if !strings.Contains(bye, "see-you") {
			t.Fatalf("after logout: %q", bye)
		}
		if rp.refreshes(mainSID) {
			t.Fatal("the refresh token still works after logout")
		}
		// Signed out of OpenGate too: the next visit asks for credentials.
		run(t, main, chromedp.Navigate(rp.url+"/"), chromedp.WaitVisible("#sign-in", chromedp.ByID))
	})
}
