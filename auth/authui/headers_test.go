package authui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// inlineScript returns the first inline script of an HTML page: a script
// element with content or without src, an inline event handler, or a
// javascript: URL. The CSP forbids them all, so no page may rely on one.
func inlineScript(body string) string {
	lower := strings.ToLower(body)
	for i := strings.Index(lower, "<script"); i >= 0; {
		end := strings.Index(lower[i:], "</script>")
		if end < 0 {
			return lower[i:]
		}
		tag := lower[i : i+end]
		if !strings.Contains(tag, " src=") || !strings.HasSuffix(tag, ">") {
			return tag
		}
		next := strings.Index(lower[i+end:], "<script")
		if next < 0 {
			break
		}
		i += end + next
	}
	if m := eventHandler.FindString(lower); m != "" {
		return m
	}
	if strings.Contains(lower, "javascript:") {
		return "javascript:"
	}
	return ""
}

var eventHandler = regexp.MustCompile(`<[^>]*\son[a-z]+\s*=`)

// checkPageHeaders fails unless r carries the headers every page must.
func checkPageHeaders(t *testing.T, name string, r resp) {
	t.Helper()
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"frame-ancestors 'none'", "default-src 'none'", "script-src 'self'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", name, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("%s: CSP %q allows inline code", name, csp)
	}
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer",
		"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s: %s = %q, want %q", name, h, got, want)
		}
	}
	if strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		if found := inlineScript(r.body); found != "" {
			t.Errorf("%s: inline script: %s", name, found)
		}
	}
}

func TestEveryPageForbidsFramingAndInlineScript(t *testing.T) {
	e := newEnv(t, func(r *realms.Realm) { r.RegistrationAllowed = true })
	ctx := context.Background()
	pages := map[string]resp{}
	b := e.browser()

	login := b.loginPage()
	pages["login"] = login
	pages["login with an error"] = b.submit(login, "username", "alice", "password", "wrong")
	pages["login without CSRF"] = b.post(b.e.issuer()+"/login-actions/authenticate?tx=x", url.Values{})
	pages["registration"] = b.get(strings.ReplaceAll(registerLink.FindStringSubmatch(login.body)[1], "&amp;", "&"))
	pages["error: unregistered redirect"] = b.get(e.authURL("redirect_uri", "https://evil.example/"))
	pages["error: unknown realm"] = b.get(e.url + "/realms/nowhere/protocol/openid-connect/auth")
	pages["form_post"] = b.follow(b.submit(b.loginPage("response_mode", "form_post"), "username", "alice", "password", password))

	// Required actions and the second factor, for a user who needs them all.
	code := e.authenticator(e.alice.ID)
	acts := []string{users.ActionUpdatePassword, users.ActionUpdateProfile, users.ActionVerifyEmail}
	if _, err := e.srv.Users.Update(ctx, realm, e.alice.ID, users.Patch{RequiredActions: &acts}); err != nil {
		t.Fatal(err)
	}
	s := e.browser()
	otp := s.follow(s.submit(s.loginPage(), "username", "alice", "password", password))
	pages["otp"] = otp
	pwPage := s.follow(s.submit(otp, "code", code()))
	pages["update password"] = pwPage
	profile := s.follow(s.submit(pwPage, "action", "UPDATE_PASSWORD", "password", "newer-password-1", "confirmation", "newer-password-1"))
	pages["update profile"] = profile
	pages["verify email"] = s.follow(s.submit(profile, "action", "UPDATE_PROFILE", "email", "alice@example.com", "firstName", "A", "lastName", "B"))

	// CONFIGURE_TOTP, the account pages and the logout confirmation, as carol.
	carol, err := e.srv.Users.Create(ctx, realm, users.User{Username: "carol", Email: "carol@example.com", EmailVerified: true,
		Enabled: true, RequiredActions: []string{users.ActionConfigureTOTP}}, users.NewCredential{Value: password})
	if err != nil {
		t.Fatal(err)
	}
	c := e.browser()
	totp := c.follow(c.submit(c.loginPage(), "username", "carol", "password", password))
	pages["configure totp"] = totp
	c.callback(c.follow(c.submit(totp, append(hiddenFields(totp), "code", e.codeOf(totp))...)))
	for _, name := range []string{"profile", "password", "security", "devices"} {
		pages["account "+name] = c.accountPage(name)
	}
	_, csrf := c.form(pages["account profile"])
	pages["account enrolment"] = c.post(e.accountURL("security/totp"), url.Values{"csrf": {csrf}})
	pages["account recovery codes"] = c.post(e.accountURL("security/recovery-codes"), url.Values{"csrf": {csrf}})
	pages["account form without CSRF"] = c.post(e.accountURL("password"), url.Values{})
	pages["logout confirmation"] = c.get(e.issuer() + "/protocol/openid-connect/logout")
	pages["signed out"] = e.browser().get(e.issuer() + "/protocol/openid-connect/logout")
	_ = carol

	for name, r := range pages {
		if r.status == 0 || r.body == "" {
			t.Errorf("%s: no page (%d)", name, r.status)
			continue
		}
		checkPageHeaders(t, name, r)
	}
	// Redirects carry them too.
	checkPageHeaders(t, "redirect to the login page", e.browser().get(e.authURL()))
	if len(pages) < 20 {
		t.Fatalf("only %d pages checked", len(pages))
	}
}

func TestTheStylesheetIsServed(t *testing.T) {
	e := newEnv(t)
	page := e.browser().loginPage()
	m := regexp.MustCompile(`<link rel="stylesheet" href="([^"]+)">`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("no stylesheet")
	}
	res, err := http.Get(strings.ReplaceAll(m[1], "&amp;", "&"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Fatalf("stylesheet: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	for _, bad := range []string{"/resources/login/default/../../go.mod", "/resources/login/default/.hidden",
		"/resources/login/default/templates%2Flogin.html", "/resources/login/default/nothing.css"} {
		res, err := http.Get(e.url + bad)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Errorf("%s served", bad)
		}
	}
}

func TestInlineScriptDetection(t *testing.T) {
	for _, bad := range []string{`<script>alert(1)</script>`, `<script src="/x.js">alert(1)</script>`,
		`<a href="#" onclick="x()">`, `<a href="javascript:x()">`, `<SCRIPT>x</SCRIPT>`} {
		if inlineScript(bad) == "" {
			t.Errorf("not detected: %s", bad)
		}
	}
	if got := inlineScript(`<script src="/f.js" defer></script><p class="online">on=</p>`); got != "" {
		t.Errorf("false positive: %s", got)
	}
}
