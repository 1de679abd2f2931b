package main

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth/authui"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfahttp"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionhttp"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// The remote clients are what the login and account pages need.
var (
	_ authui.Accounts       = (*usershttp.Client)(nil)
	_ authui.Sessions       = (*sessionhttp.Client)(nil)
	_ authui.Authenticators = (*mfahttp.Client)(nil)
)

// pageClient is a browser without JavaScript: cookies, no automatic
// redirects, the issuer base's URLs sent to the service under test.
type pageClient struct {
	t      *testing.T
	base   string // the issuer base the pages link to
	url    string // where the service listens
	client *http.Client
}

func (c *pageClient) do(method, u string, form url.Values) (int, string, string) {
	c.t.Helper()
	u = strings.Replace(u, c.base, c.url, 1)
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.client.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(raw)
}

// open follows redirects inside the service and returns the page, or the
// first redirect elsewhere.
func (c *pageClient) open(method, u string, form url.Values) (int, string, string) {
	c.t.Helper()
	status, loc, body := c.do(method, u, form)
	for i := 0; i < 10 && (status == 302 || status == 303) && strings.HasPrefix(loc, c.base+"/"); i++ {
		status, loc, body = c.do(http.MethodGet, loc, nil)
	}
	return status, loc, body
}

var (
	pageForm  = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	pageCSRF  = regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	pageField = regexp.MustCompile(`<input type="hidden" name="(factor|uri)" value="([^"]*)">`)
	pageKey   = regexp.MustCompile(`id="totp-secret">([A-Z2-7 ]+)<`)
)

// submit posts the page's first form with its CSRF token and fields.
func (c *pageClient) submit(page string, fields ...string) (int, string, string) {
	c.t.Helper()
	a, k := pageForm.FindStringSubmatch(page), pageCSRF.FindStringSubmatch(page)
	if a == nil || k == nil {
		c.t.Fatalf("no form: %s", page)
	}
	form := url.Values{"csrf": {html.UnescapeString(k[1])}}
	for _, m := range pageField.FindAllStringSubmatch(page, -1) {
		form.Set(m[1], html.UnescapeString(m[2]))
	}
	for i := 0; i+1 < len(fields); i += 2 {
		form.Set(fields[i], fields[i+1])
	}
	return c.open(http.MethodPost, html.UnescapeString(a[1]), form)
}

func totp(t *testing.T, key string, at time.Time) string {
	t.Helper()
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(key, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	code, err := mfa.GenerateTOTP(secret, "HmacSHA1", 6, 30*time.Second, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// auth-service serves the browser sign-in as the all-in-one does, acting
// through user-, session- and mfa-service's internal APIs: the second
// factor, UPDATE_PASSWORD, registration, and every account page.
func TestBrowserSignInOverTheInternalAPIs(t *testing.T) {
	redisURL := os.Getenv(iamtest.EnvRedisURL)
	if redisURL == "" {
		if os.Getenv(iamtest.EnvRequire) == "1" {
			t.Fatalf("%s is required", iamtest.EnvRedisURL)
		}
		t.Skipf("set %s to run auth-service against Redis", iamtest.EnvRedisURL)
	}
	ctx := context.Background()
	const token, base = "internal-token", "http://id.example.test"
	p := boottest.StartPeers(t, token, nil)
	p.Realm(t, "shop")
	open := true
	if _, err := p.Realms.Update(ctx, "shop", realms.Update{RegistrationAllowed: &open}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Clients.Create(ctx, "shop", clients.Client{ClientID: "web", Enabled: true, PublicClient: true,
		StandardFlowEnabled: true, RedirectURIs: []string{"https://app.example/cb"}}, ""); err != nil {
		t.Fatal(err)
	}
	alice, err := p.Users.Create(ctx, "shop", users.User{Username: "alice", Email: "alice@example.com", EmailVerified: true,
		Enabled: true}, users.NewCredential{Value: "alice-password-1"})
	if err != nil {
		t.Fatal(err)
	}
	e, err := p.MFA.StartTOTP(ctx, "shop", alice.ID, "alice", "Phone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.MFA.ConfirmTOTP(ctx, "shop", alice.ID, e.FactorID, totp(t, e.Secret, time.Now())); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Users.Create(ctx, "shop", users.User{Username: "bob", Email: "bob@example.com", EmailVerified: true,
		Enabled: true}, users.NewCredential{Value: "temporary-1", Temporary: true}); err != nil {
		t.Fatal(err)
	}
	seeds := iamtest.Kafka(t)
	sessionPeer := boottest.StartSessions(t, token, p.Realms, seeds)
	_, prefix := iamtest.Redis(t)
	pg := boottest.NewPostgres(t, "auth")
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0"}, p.Env(map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix,
		"OPENGATE_REDIS_URL":     redisURL,
		"OPENGATE_REDIS_PREFIX":  prefix,
		"OPENGATE_ISSUER_BASE":   base,
		"OPENGATE_SECRET_KEY":    iamcrypto.EncodeKey(iamcrypto.GenerateKey()),
		"OPENGATE_SERVICE_TOKEN": token,
		"OPENGATE_SESSIONS_URL":  sessionPeer.URL,
		"OPENGATE_KAFKA_BROKERS": strings.Join(seeds, ","),
	}))
	browser := func() *pageClient {
		jar, _ := cookiejar.New(nil)
		return &pageClient{t: t, base: base, url: srv.URL, client: &http.Client{Jar: jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	}
	verifier := "browser-test-verifier-0123456789-0123456789-abc"
	sum := sha256.Sum256([]byte(verifier))
	authURL := base + "/realms/shop/protocol/openid-connect/auth?" + url.Values{"response_type": {"code"},
		"client_id": {"web"}, "redirect_uri": {"https://app.example/cb"}, "scope": {"openid"}, "state": {"s1"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}.Encode()
	codeOf := func(status int, loc string, _ ...string) string {
		t.Helper()
		u, err := url.Parse(loc)
		if (status != 302 && status != 303) || err != nil || !strings.HasPrefix(loc, "https://app.example/cb?") ||
			u.Query().Get("iss") != base+"/realms/shop" || u.Query().Get("code") == "" {
			t.Fatalf("not back at the application with a code: %d %q", status, loc)
		}
		return u.Query().Get("code")
	}

	a := browser()
	t.Run("SecondFactor", func(t *testing.T) {
		_, _, login := a.open(http.MethodGet, authURL, nil)
		status, _, otp := a.submit(login, "username", "alice", "password", "alice-password-1")
		if status != 200 || !strings.Contains(otp, "authenticator app") {
			t.Fatalf("after the password: %d %s", status, otp)
		}
		code := codeOf(a.submit(otp, "code", totp(t, e.Secret, time.Now().Add(30*time.Second))))
		resp, err := http.PostForm(srv.URL+"/realms/shop/protocol/openid-connect/token", url.Values{
			"grant_type": {"authorization_code"}, "code": {code}, "client_id": {"web"},
			"redirect_uri": {"https://app.example/cb"}, "code_verifier": {verifier}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tok map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&tok)
		if resp.StatusCode != 200 || tok["id_token"] == nil {
			t.Fatalf("code exchange: %d %v", resp.StatusCode, tok)
		}
		codeOf(a.do(http.MethodGet, authURL, nil)) // SSO
	})

	t.Run("AccountPages", func(t *testing.T) {
		_, _, profile := a.open(http.MethodGet, base+"/realms/shop/account/profile", nil)
		if _, _, page := a.submit(profile, "action", "save", "email", "alice@example.com", "firstName", "Alicia", "lastName", "L"); !strings.Contains(page, "Your profile has been saved.") {
			t.Fatalf("profile saved: %s", page)
		}
		if u, _ := p.Users.Get(ctx, "shop", alice.ID); u.FirstName != "Alicia" {
			t.Fatalf("profile = %+v", u)
		}
		// A session of alice elsewhere, which the devices page ends.
		if _, err := sessionPeer.Create(ctx, "shop", session.Session{ID: "elsewhere", UserID: alice.ID, UserAgent: "Firefox"}); err != nil {
			t.Fatal(err)
		}
		_, _, devices := a.open(http.MethodGet, base+"/realms/shop/account/devices", nil)
		out := regexp.MustCompile(`action="([^"]*/devices/elsewhere/sign-out)"`).FindStringSubmatch(devices)
		if out == nil {
			t.Fatalf("devices page: %s", devices)
		}
		if _, _, page := a.open(http.MethodPost, html.UnescapeString(out[1]), url.Values{"csrf": {pageCSRF.FindStringSubmatch(devices)[1]}}); !strings.Contains(page, "That session has been signed out.") {
			t.Fatalf("sign-out: %s", page)
		}
		if alive, _ := sessionPeer.Alive(ctx, "shop", "elsewhere"); alive {
			t.Fatal("the other session is alive")
		}
		_, _, security := a.open(http.MethodGet, base+"/realms/shop/account/security", nil)
		csrf := pageCSRF.FindStringSubmatch(security)[1]
		_, _, enrol := a.open(http.MethodPost, base+"/realms/shop/account/security/totp", url.Values{"csrf": {csrf}, "label": {"Tablet"}})
		key := pageKey.FindStringSubmatch(enrol)
		if key == nil {
			t.Fatalf("enrolment page: %s", enrol)
		}
		if _, _, page := a.submit(enrol, "code", totp(t, key[1], time.Now())); !strings.Contains(page, "Tablet") {
			t.Fatalf("enrolment confirmed: %s", page)
		}
		_, _, codes := a.open(http.MethodPost, base+"/realms/shop/account/security/recovery-codes", url.Values{"csrf": {csrf}})
		if strings.Count(codes, "<li><code>") != mfa.RecoveryCodeCount {
			t.Fatalf("recovery codes page: %s", codes)
		}
		_, _, pw := a.open(http.MethodGet, base+"/realms/shop/account/password", nil)
		if _, _, page := a.submit(pw, "currentPassword", "alice-password-1", "password", "alice-password-2", "confirmation", "alice-password-2"); !strings.Contains(page, "Your password has been changed.") {
			t.Fatalf("password changed: %s", page)
		}
		if _, err := p.Users.Authenticate(ctx, "shop", "alice", "alice-password-2"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("TemporaryPassword", func(t *testing.T) {
		b := browser()
		_, _, login := b.open(http.MethodGet, authURL, nil)
		_, _, update := b.submit(login, "username", "bob", "password", "temporary-1")
		if !strings.Contains(update, "Choose a new password") {
			t.Fatalf("after a temporary password: %s", update)
		}
		codeOf(b.submit(update, "action", "UPDATE_PASSWORD", "password", "bobs-password-1", "confirmation", "bobs-password-1"))
		if _, err := p.Users.Authenticate(ctx, "shop", "bob", "bobs-password-1"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Registration", func(t *testing.T) {
		c := browser()
		_, _, login := c.open(http.MethodGet, authURL, nil)
		link := regexp.MustCompile(`href="([^"]*login-actions/registration[^"]*)"`).FindStringSubmatch(login)
		if link == nil {
			t.Fatalf("no registration link: %s", login)
		}
		_, _, form := c.open(http.MethodGet, html.UnescapeString(link[1]), nil)
		codeOf(c.submit(form, "username", "carol", "email", "carol@example.com", "password", "carols-password-1",
			"confirmation", "carols-password-1"))
		if _, err := p.Users.Authenticate(ctx, "shop", "carol", "carols-password-1"); err != nil {
			t.Fatal(err)
		}
	})
}
