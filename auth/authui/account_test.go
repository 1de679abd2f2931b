package authui_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func (e *env) accountURL(page string) string { return e.issuer() + "/account/" + page }

// accountPage opens an account page in b, signing in first when asked.
func (b *browser) accountPage(page string) resp {
	b.t.Helper()
	r := b.get(b.e.accountURL(page))
	if r.status == http.StatusFound && strings.Contains(r.location(), "/login-actions/authenticate") {
		login := b.follow(r)
		r = b.submit(login, "username", "alice", "password", password)
		if r.status != http.StatusSeeOther || r.location() != b.e.accountURL(page) {
			b.t.Fatalf("sign-in to the account pages: %d %q %s", r.status, r.location(), r.body)
		}
		r = b.get(r.location())
	}
	if r.status != http.StatusOK {
		b.t.Fatalf("account page %s: %d %q %s", page, r.status, r.location(), r.body)
	}
	return r
}

func TestAccountPagesSignInThroughTheSSOSession(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn("alice", password)
	// Signed in for the application: the account pages need nothing more.
	r := b.get(e.accountURL("profile"))
	wantPage(t, r, http.StatusOK, `value="alice@example.com"`)
	// A new browser signs in first, then lands on the page it asked for.
	wantPage(t, e.browser().accountPage("devices"), http.StatusOK, "This browser")
}

func TestAccountProfile(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	page := b.accountPage("profile")
	r := b.submit(page, "action", "save", "email", "alice@example.com", "firstName", "Alicia", "lastName", "L")
	if r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	wantPage(t, b.get(r.location()), http.StatusOK, "Your profile has been saved.")
	u, _ := e.srv.Users.Get(context.Background(), realm, e.alice.ID)
	if u.FirstName != "Alicia" || !u.EmailVerified {
		t.Fatalf("user = %+v", u)
	}
	bad := b.submit(page, "action", "save", "email", "not an email", "firstName", "A", "lastName", "L")
	wantPage(t, bad, http.StatusBadRequest, `id="email-error"`)
	// Changing the email needs a recent sign-in.
	e.clock.Advance(10 * time.Minute)
	r = b.submit(page, "action", "save", "email", "alice@new.example", "firstName", "A", "lastName", "L")
	if r.status != http.StatusSeeOther || !strings.Contains(r.location(), "/login-actions/authenticate") {
		t.Fatalf("stale email change: %d %q", r.status, r.location())
	}
	login := b.follow(r)
	if !strings.Contains(login.body, `value="alice"`) {
		t.Fatal("the sign-in again does not name the user")
	}
	back := b.submit(login, "username", "alice", "password", password)
	page = b.get(back.location())
	r = b.submit(page, "action", "save", "email", "alice@new.example", "firstName", "A", "lastName", "L")
	wantPage(t, b.get(r.location()), http.StatusOK, "verify it")
	u, _ = e.srv.Users.Get(context.Background(), realm, e.alice.ID)
	if u.Email != "alice@new.example" || u.EmailVerified {
		t.Fatalf("after the email change: %+v", u)
	}
}

func TestAccountPasswordChangeEndsTheOtherSessions(t *testing.T) {
	e := newEnv(t)
	other := e.browser()
	_, otherTok := e.tokens(other.signIn("alice", password), verifier)
	b := e.browser()
	_, tok := e.tokens(b.signIn("alice", password), verifier)
	page := b.accountPage("password")
	wrong := b.submit(page, "currentPassword", "nope", "password", "new-pass-word-1", "confirmation", "new-pass-word-1")
	wantPage(t, wrong, http.StatusBadRequest, "Your current password is not right.")
	r := b.submit(page, "currentPassword", password, "password", "new-pass-word-1", "confirmation", "new-pass-word-1")
	wantPage(t, b.get(r.location()), http.StatusOK, "Your password has been changed.")
	waitFor(t, func() bool { return e.refresh(otherTok["refresh_token"].(string)) == http.StatusBadRequest })
	if got := e.refresh(tok["refresh_token"].(string)); got != http.StatusOK {
		t.Fatalf("this browser's session ended too: %d", got)
	}
	b.accountPage("profile") // still signed in
}

var signOutForm = regexp.MustCompile(`action="([^"]*/account/devices/[^"/]+/sign-out)"`)

func TestAccountDevicesEndAnotherSession(t *testing.T) {
	e := newEnv(t)
	other := e.browser()
	_, otherTok := e.tokens(other.signIn("alice", password), verifier)
	b := e.browser()
	page := b.accountPage("devices")
	forms := signOutForm.FindAllStringSubmatch(page.body, -1)
	if len(forms) != 1 || strings.Count(page.body, `class="item"`) != 2 {
		t.Fatalf("want two sessions, one to sign out: %s", page.body)
	}
	_, csrf := b.form(page)
	r := b.post(forms[0][1], url.Values{"csrf": {csrf}})
	wantPage(t, b.get(r.location()), http.StatusOK, "That session has been signed out.")
	waitFor(t, func() bool { return e.refresh(otherTok["refresh_token"].(string)) == http.StatusBadRequest })
	// The other browser is signed out; this one is not.
	other.loginPage()
	b.accountPage("devices")
	// Without the token nothing happens.
	wantPage(t, b.post(forms[0][1], url.Values{}), http.StatusForbidden, "expired")
}

func TestAccountSecurityEnrolsAndRemovesAnAuthenticator(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	page := b.accountPage("security")
	wantPage(t, page, http.StatusOK, "No authenticator app is set up.")
	_, csrf := b.form(page)
	enrol := b.post(e.accountURL("security/totp"), url.Values{"csrf": {csrf}, "label": {"Work phone"}})
	wantPage(t, enrol, http.StatusOK, "Add an authenticator app")
	if enrol.header.Get("Cache-Control") != "no-store" {
		t.Fatal("the key's page may be cached")
	}
	r := b.submit(enrol, append(hiddenFields(enrol), "code", e.codeOf(enrol))...)
	page = b.get(r.location())
	wantPage(t, page, http.StatusOK, "Work phone")
	codes := b.post(e.accountURL("security/recovery-codes"), url.Values{"csrf": {csrf}})
	wantPage(t, codes, http.StatusOK, `id="recovery-codes"`)
	if strings.Count(codes.body, "<li><code>") != 10 {
		t.Fatalf("recovery codes: %s", codes.body)
	}
	del := regexp.MustCompile(`action="([^"]*/account/security/[^"/]+/delete)"`).FindStringSubmatch(codes.body)
	if del == nil {
		t.Fatal("no remove button")
	}
	r = b.post(del[1], url.Values{"csrf": {csrf}})
	wantPage(t, b.get(r.location()), http.StatusOK, "The authenticator app has been removed.")
	if f, _ := e.srv.MFA.Factors(context.Background(), realm, e.alice.ID); len(f) != 0 {
		t.Fatalf("factors left: %v", f)
	}
}

// waitFor waits until ok (events between services are asynchronous).
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
