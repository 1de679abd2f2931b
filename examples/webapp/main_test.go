package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate"
)

const (
	adminPassword = "Admin-passw0rd-demo" // the README's
	alicePassword = "correct-horse-9"
)

// openGate runs OpenGate in memory on a loopback port with the README's
// administrator, until the test ends, and returns its base URL.
func openGate(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := opengate.New(ctx, opengate.Config{IssuerBase: ts.URL, Logger: slog.New(slog.DiscardHandler),
		Admin: &opengate.Admin{Password: adminPassword}})
	if err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-ran; srv.Close() })
	mux.Handle("/", srv.Handler())
	return ts.URL
}

// readmeCalls returns the admin API calls of README.md's set-up, path →
// JSON body, with the application's URL http://localhost:8092 replaced by
// app.
func readmeCalls(t *testing.T, app string) map[string]string {
	t.Helper()
	src, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.ReplaceAll(string(src), "\\\n", " ")
	calls := map[string]string{}
	call := regexp.MustCompile(`curl -s http://localhost:8080(/admin/realms\S*) .*-d '([^']*)'`)
	for _, m := range call.FindAllStringSubmatch(joined, -1) {
		calls[m[1]] = strings.ReplaceAll(m[2], "http://localhost:8092", app)
	}
	for _, path := range []string{"/admin/realms", "/admin/realms/demo/clients", "/admin/realms/demo/users"} {
		if calls[path] == "" {
			t.Fatalf("README.md has no set-up call to %s: %v", path, calls)
		}
	}
	return calls
}

// admin calls OpenGate's admin API as the bootstrap administrator and
// fails unless the answer is 201.
func admin(t *testing.T, og, path, body string) {
	t.Helper()
	resp, err := http.PostForm(og+"/realms/master/protocol/openid-connect/token", url.Values{"grant_type": {"password"},
		"client_id": {"admin-cli"}, "username": {"admin"}, "password": {adminPassword}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("admin token: %d %v", resp.StatusCode, err)
	}
	req, _ := http.NewRequest("POST", og+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s = %d: %s", path, resp.StatusCode, b)
	}
}

// startApp runs the application with args until the test ends and returns
// the URL it logged.
func startApp(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, args, pw); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("run did not stop")
		}
	})
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		if line := lines.Text(); strings.Contains(line, "webapp listening") {
			go func() { _, _ = io.Copy(io.Discard, pr) }()
			m := regexp.MustCompile(` url=(\S+)`).FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("no url in %q", line)
			}
			return m[1]
		}
	}
	t.Fatalf("the application did not start: %v", <-done)
	return ""
}

// world is OpenGate set up as the README says, and the application.
type world struct {
	og, app string
}

func newWorld(t *testing.T) world {
	t.Helper()
	og := openGate(t)
	admin(t, og, "/admin/realms", readmeCalls(t, "")["/admin/realms"]) // discovery needs the realm
	app := startApp(t, "-addr", "127.0.0.1:0", "-opengate", og)
	calls := readmeCalls(t, app)
	admin(t, og, "/admin/realms/demo/clients", calls["/admin/realms/demo/clients"])
	admin(t, og, "/admin/realms/demo/users", calls["/admin/realms/demo/users"])
	return world{og: og, app: app}
}

// browser keeps cookies and follows redirects, as a browser does; last is
// the URL of the last answer.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// page is an answer with its body read.
type page struct {
	status int
	url    string // where the redirects ended
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, url: resp.Request.URL.String(), body: string(body)}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	req, _ := http.NewRequest("GET", u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var (
	formAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	csrfField  = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
)

// submit posts p's first form with its CSRF token and fields.
func (b *browser) submit(p page, fields ...string) page {
	b.t.Helper()
	action, csrf := formAction.FindStringSubmatch(p.body), csrfField.FindStringSubmatch(p.body)
	if action == nil || csrf == nil {
		b.t.Fatalf("no form on %s (%d): %s", p.url, p.status, p.body)
	}
	target, err := url.Parse(p.url)
	if err != nil {
		b.t.Fatal(err)
	}
	ref, err := url.Parse(html.UnescapeString(action[1]))
	if err != nil {
		b.t.Fatal(err)
	}
	form := url.Values{"csrf": {html.UnescapeString(csrf[1])}}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	return b.post(target.ResolveReference(ref).String(), form)
}

// signIn signs in as alice through the application and returns its home
// page.
func (b *browser) signIn(w world) page {
	b.t.Helper()
	login := b.get(w.app + "/login")
	if login.status != 200 || !strings.HasPrefix(login.url, w.og+"/realms/demo/") || !strings.Contains(login.body, `name="password"`) {
		b.t.Fatalf("/login did not lead to OpenGate's login page: %d %s", login.status, login.url)
	}
	home := b.submit(login, "username", "alice", "password", alicePassword)
	if home.status != 200 || home.url != w.app+"/" {
		b.t.Fatalf("after the login form: %d at %s: %s", home.status, home.url, home.body)
	}
	return home
}

// claimsShown returns the claims of the home page's table.
func claimsShown(body string) map[string]string {
	shown := map[string]string{}
	for _, m := range regexp.MustCompile(`<tr><th>([^<]*)</th><td>([^<]*)</td></tr>`).FindAllStringSubmatch(body, -1) {
		shown[html.UnescapeString(m[1])] = html.UnescapeString(m[2])
	}
	return shown
}

func TestSignInShowsClaimsAndSignOutEndsBothSessions(t *testing.T) {
	w := newWorld(t)
	b := newBrowser(t)
	if p := b.get(w.app + "/"); p.status != 200 || !strings.Contains(p.body, `id="sign-in"`) {
		t.Fatalf("home before sign-in: %d %s", p.status, p.body)
	}
	home := b.signIn(w)

	claims := claimsShown(home.body)
	for name, want := range map[string]string{"iss": w.og + "/realms/demo", "aud": "webapp", "azp": "webapp",
		"preferred_username": "alice", "email": "alice@example.com", "name": "Alice Liddell"} {
		if claims[name] != want {
			t.Errorf("claim %s shown as %q, want %q (all: %v)", name, claims[name], want, claims)
		}
	}
	for _, name := range []string{"sub", "sid", "nonce", "exp", "iat", "auth_time"} {
		if claims[name] == "" {
			t.Errorf("claim %s not shown (all: %v)", name, claims)
		}
	}
	if !strings.Contains(home.body, "Hello, Alice Liddell") {
		t.Errorf("home does not greet alice: %s", home.body)
	}
	appURL, _ := url.Parse(w.app)
	var session string
	for _, c := range b.client.Jar.Cookies(appURL) {
		if c.Name == sessionCookie {
			session = c.Value
		}
	}
	if session == "" {
		t.Fatal("no session cookie")
	}

	// Signed in at OpenGate too: a new sign-in needs no form.
	if again := b.get(w.app + "/login"); again.url != w.app+"/" || !strings.Contains(again.body, "Hello, Alice Liddell") {
		t.Fatalf("a second sign-in with OpenGate's session showed %s: %s", again.url, again.body)
	}

	out := b.submit(b.get(w.app + "/"))
	if out.status != 200 || out.url != w.app+"/" || !strings.Contains(out.body, `id="sign-in"`) {
		t.Fatalf("after sign-out: %d at %s: %s", out.status, out.url, out.body)
	}
	// The application's session is gone, for the cookie's old value too.
	stale := newBrowser(t)
	stale.client.Jar.SetCookies(appURL, []*http.Cookie{{Name: sessionCookie, Value: session}})
	if p := stale.get(w.app + "/"); !strings.Contains(p.body, `id="sign-in"`) {
		t.Fatalf("the ended session's cookie still signs in: %s", p.body)
	}
	// OpenGate's session ended with it: signing in shows the login form.
	if login := b.get(w.app + "/login"); !strings.HasPrefix(login.url, w.og+"/realms/demo/") || !strings.Contains(login.body, `name="password"`) {
		t.Fatalf("after sign-out, /login ended at %s (OpenGate's session survived): %s", login.url, login.body)
	}
}

// noRedirects is a browser that stops at the first redirect, to see the
// application's own answers.
func noRedirects(t *testing.T) *browser {
	b := newBrowser(t)
	b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return b
}

// started begins a sign-in in b (its login cookie set) and returns the
// state OpenGate would send back.
func started(t *testing.T, b *browser, app string) string {
	t.Helper()
	resp, err := b.client.Get(app + "/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("/login = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" {
		t.Fatalf("the authorization request lacks PKCE, nonce or state: %v", q)
	}
	return q.Get("state")
}

func TestCallbackRefusesWhatThisBrowserDidNotStart(t *testing.T) {
	w := newWorld(t)
	issuer := url.QueryEscape(w.og + "/realms/demo")
	tests := []struct {
		name   string
		query  func(b *browser) string // the callback's query, set up in b
		status int
		shows  string
	}{
		{"NoSignInStarted", func(*browser) string { return "state=abc&code=xyz&iss=" + issuer }, 400, "not started in this browser"},
		{"StateOfAnotherBrowser", func(*browser) string {
			return "state=" + started(t, noRedirects(t), w.app) + "&code=xyz&iss=" + issuer
		}, 400, "not started in this browser"},
		{"ResponseOfAnotherIssuer", func(b *browser) string {
			return "state=" + started(t, b, w.app) + "&code=xyz&iss=" + url.QueryEscape("http://evil.example/realms/demo")
		}, 400, "another issuer"},
		{"ErrorFromOpenGate", func(b *browser) string {
			return "state=" + started(t, b, w.app) + "&error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&iss=" + issuer
		}, 400, "access_denied &lt;b&gt;no&lt;/b&gt;"},
		{"NoCode", func(b *browser) string { return "state=" + started(t, b, w.app) + "&iss=" + issuer }, 400, "has no code"},
		{"CodeOpenGateDidNotIssue", func(b *browser) string {
			return "state=" + started(t, b, w.app) + "&code=forged&iss=" + issuer
		}, 400, "did not accept the code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := noRedirects(t)
			p := b.get(w.app + "/callback?" + tt.query(b))
			if p.status != tt.status || !strings.Contains(p.body, tt.shows) {
				t.Fatalf("callback = %d %s, want %d showing %q", p.status, p.body, tt.status, tt.shows)
			}
			if home := b.get(w.app + "/"); !strings.Contains(home.body, `id="sign-in"`) {
				t.Fatalf("signed in after a refused callback: %s", home.body)
			}
		})
	}

	t.Run("ReplayedCallback", func(t *testing.T) {
		b := newBrowser(t)
		var callback *url.URL
		b.client.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
			if req.URL.Path == "/callback" {
				callback = req.URL
			}
			return nil
		}
		b.signIn(w)
		state := callback.Query().Get("state")
		again := noRedirects(t)
		appURL, _ := url.Parse(w.app + "/callback")
		again.client.Jar.SetCookies(appURL, []*http.Cookie{{Name: loginCookie, Value: state, Path: "/callback"}})
		if p := again.get(callback.String()); p.status != 400 || !strings.Contains(p.body, "already been completed") {
			t.Fatalf("replayed callback = %d %s", p.status, p.body)
		}
	})
}

func TestSignOutNeedsTheSessionsCSRFToken(t *testing.T) {
	w := newWorld(t)
	b := newBrowser(t)
	b.signIn(w)
	if p := b.post(w.app+"/logout", url.Values{"csrf": {"forged"}}); p.status != 403 {
		t.Fatalf("sign-out with a forged token = %d %s", p.status, p.body)
	}
	if p := b.get(w.app + "/"); !strings.Contains(p.body, "Hello, Alice Liddell") {
		t.Fatalf("a forged sign-out ended the session: %s", p.body)
	}
}

func TestRunRefusesBadSettings(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler()) // no realm there
	t.Cleanup(down.Close)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"AnUnknownFlag", []string{"-listen", ":1"}},
		{"AnOpenGateURLThatIsNotHTTP", []string{"-addr", "127.0.0.1:0", "-opengate", "ftp://id.example"}},
		{"AnAppURLWithAQuery", []string{"-addr", "127.0.0.1:0", "-url", "http://localhost:8092/?x=1"}},
		{"AnEmptyRealm", []string{"-addr", "127.0.0.1:0", "-realm", ""}},
		{"NoOpenGateRealmThere", []string{"-addr", "127.0.0.1:0", "-opengate", down.URL}},
		{"StrayArguments", []string{"-addr", "127.0.0.1:0", "extra"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder
			if err := run(context.Background(), tc.args, &stderr); err == nil {
				t.Fatalf("run %v succeeded", tc.args)
			}
		})
	}
}

func TestDefaultsAreDocumentedAndClearOfServicePorts(t *testing.T) {
	var stderr strings.Builder
	if err := run(context.Background(), []string{"-h"}, &stderr); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	for _, want := range []string{`"localhost:8092"`, `"http://localhost:8080"`, `"demo"`, `"webapp"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("usage %q does not show the default %s", stderr.String(), want)
		}
	}
}
