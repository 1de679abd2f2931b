package authui_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// password signs in up to the page after the password.
func (b *browser) afterPassword(username, pw string) resp {
	b.t.Helper()
	return b.follow(b.submit(b.loginPage(), "username", username, "password", pw))
}

func TestTheMFAStepAsksForTheAuthenticatorsCode(t *testing.T) {
	e := newEnv(t)
	code := e.authenticator(e.alice.ID)
	b := e.browser()
	page := b.afterPassword("alice", password)
	wantPage(t, page, http.StatusOK, "authenticator app")
	wrong := b.submit(page, "code", "000000")
	wantPage(t, wrong, http.StatusUnauthorized, "That code is not valid")
	b.callback(b.follow(b.submit(wrong, "code", code())))
	// The SSO session had a second factor: the next authorization needs nothing.
	b.callback(b.get(e.authURL()))
}

func TestTheMFAStepAcceptsARecoveryCode(t *testing.T) {
	e := newEnv(t)
	e.authenticator(e.alice.ID)
	codes, err := e.srv.MFA.RegenerateRecoveryCodes(context.Background(), realm, e.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	page := b.afterPassword("alice", password)
	wantPage(t, page, http.StatusOK, "recovery codes")
	b.callback(b.follow(b.submit(page, "code", codes[0])))
}

func TestTheMFAStepSendsAnEmailCode(t *testing.T) {
	e := newEnv(t, func(r *realms.Realm) { r.MFA = realms.MFARequired })
	b := e.browser()
	page := b.afterPassword("alice", password)
	wantPage(t, page, http.StatusOK, "Email me a code")
	// The second form of the page sends the code.
	_, csrf := b.form(page)
	action, _ := b.form(page)
	sent := b.follow(b.post(action, map[string][]string{"csrf": {csrf}, "action": {"send-email"}}))
	wantPage(t, sent, http.StatusOK, "Enter the code we sent to a…@example.com")
	b.callback(b.follow(b.submit(sent, "code", e.lastEmailCode())))
}

func TestARealmRequiringMFAMakesAUserWithoutAFactorEnrolOne(t *testing.T) {
	e := newEnv(t, func(r *realms.Realm) { r.MFA = realms.MFARequired })
	ctx := context.Background()
	unverified := false
	if _, err := e.srv.Users.Update(ctx, realm, e.alice.ID, users.Patch{EmailVerified: &unverified}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	page := b.afterPassword("alice", password)
	wantPage(t, page, http.StatusOK, "Set up an authenticator app")
	if !strings.Contains(page.body, `src="data:image/png;base64,`) {
		t.Fatal("no QR code on the page")
	}
	// A wrong code shows the same key again.
	fields := append(hiddenFields(page), "code", "000000")
	wrong := b.submit(page, fields...)
	wantPage(t, wrong, http.StatusBadRequest, "That code is not valid")
	if e.codeOf(wrong) != e.codeOf(page) {
		t.Fatal("a wrong code changed the key")
	}
	b.callback(b.follow(b.submit(wrong, append(hiddenFields(wrong), "code", e.codeOf(wrong))...)))
	factors, err := e.srv.MFA.Factors(ctx, realm, e.alice.ID)
	if err != nil || len(factors) != 1 {
		t.Fatalf("factors = %v, %v", factors, err)
	}
}

func TestATemporaryPasswordMustBeReplaced(t *testing.T) {
	// Paused: user.credentials_changed of the new password is applied
	// after the sign-in has made its session, the order that ended it
	// when the session was not the one the change keeps.
	// Tim is created with a temporary password (no credentials change
	// before the sign-in).
	e := newPausedEnv(t)
	ctx := context.Background()
	tim, err := e.srv.Users.Create(ctx, realm, users.User{Username: "tim", Email: "tim@example.com", EmailVerified: true,
		Enabled: true}, users.NewCredential{Value: "temporary-pw-1", Temporary: true})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	page := b.afterPassword("tim", "temporary-pw-1")
	wantPage(t, page, http.StatusOK, "Choose a new password")
	mismatch := b.submit(page, "action", "UPDATE_PASSWORD", "password", "new-password-2", "confirmation", "other")
	wantPage(t, mismatch, http.StatusBadRequest, "The passwords do not match.")
	code := b.callback(b.follow(b.submit(mismatch, "action", "UPDATE_PASSWORD", "password", "new-password-2", "confirmation", "new-password-2")))
	// The password change ends the user's other sessions, not the one the
	// sign-in goes on into (user.credentials_changed is applied
	// asynchronously: the session must survive it).
	status, tok := e.tokens(code, verifier)
	if status != http.StatusOK {
		t.Fatalf("token exchange after the password update: %d %v", status, tok)
	}
	e.run()
	rt := tok["refresh_token"].(string)
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		status, next := e.refreshTokens(rt)
		if status != http.StatusOK {
			t.Fatalf("the new session ended after the password update: %d %v", status, next)
		}
		rt = next["refresh_token"].(string)
	}
	if _, err := e.srv.Users.Authenticate(ctx, realm, "tim", "new-password-2"); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	u, _ := e.srv.Users.Get(ctx, realm, tim.ID)
	if len(u.RequiredActions) != 0 {
		t.Fatalf("required actions left: %v", u.RequiredActions)
	}
}

func TestUpdateProfileAndVerifyEmailActions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	actions := []string{users.ActionVerifyEmail, users.ActionUpdateProfile}
	if _, err := e.srv.Users.Update(ctx, realm, e.alice.ID, users.Patch{RequiredActions: &actions}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	page := b.afterPassword("alice", password)
	wantPage(t, page, http.StatusOK, "Update your profile")
	page = b.follow(b.submit(page, "action", "UPDATE_PROFILE", "email", "alice@example.com", "firstName", "Alicia", "lastName", "L."))
	wantPage(t, page, http.StatusOK, "Verify your email")
	notYet := b.submit(page, "action", "VERIFY_EMAIL", "do", "continue")
	wantPage(t, notYet, http.StatusOK, "not verified yet")
	resent := b.submit(notYet, "action", "VERIFY_EMAIL", "do", "resend")
	wantPage(t, resent, http.StatusOK, "We sent the email again.")
	// The user opens the link (the users service verifies the address).
	verified, none := true, []string{}
	if _, err := e.srv.Users.Update(ctx, realm, e.alice.ID, users.Patch{EmailVerified: &verified, RequiredActions: &none}); err != nil {
		t.Fatal(err)
	}
	b.callback(b.follow(b.submit(resent, "action", "VERIFY_EMAIL", "do", "continue")))
	u, _ := e.srv.Users.Get(ctx, realm, e.alice.ID)
	if u.FirstName != "Alicia" {
		t.Fatalf("profile = %+v", u)
	}
}

func TestRegistration(t *testing.T) {
	closed := newEnv(t)
	b := closed.browser()
	if page := b.loginPage(); strings.Contains(page.body, "Create an account") {
		t.Fatal("a realm without registration offers it")
	}
	e := newEnv(t, func(r *realms.Realm) { r.RegistrationAllowed = true })
	b = e.browser()
	login := b.loginPage()
	m := registerLink.FindStringSubmatch(login.body)
	if m == nil {
		t.Fatalf("no registration link: %s", login.body)
	}
	form := b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
	wantPage(t, form, http.StatusOK, "Create an account")
	taken := b.submit(form, "username", "alice", "email", "bob@example.com", "password", "bob-password-1", "confirmation", "bob-password-1")
	wantPage(t, taken, http.StatusConflict, "username")
	b.callback(b.follow(b.submit(taken, "username", "bob", "email", "bob@example.com", "firstName", "Bob",
		"password", "bob-password-1", "confirmation", "bob-password-1")))
	if _, err := e.srv.Users.Authenticate(context.Background(), realm, "bob", "bob-password-1"); err != nil {
		t.Fatal(err)
	}
}

func TestAnSSOSessionOwingAStepGoesThroughIt(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.signIn("alice", password)
	actions := []string{users.ActionUpdatePassword}
	if _, err := e.srv.Users.Update(context.Background(), realm, e.alice.ID, users.Patch{RequiredActions: &actions}); err != nil {
		t.Fatal(err)
	}
	// prompt=none cannot ask: interaction_required.
	errorRedirect(t, e, b.get(e.authURL("prompt", "none")), "interaction_required")
	page := b.follow(b.get(e.authURL()))
	wantPage(t, page, http.StatusOK, "Choose a new password")
	e.clock.Advance(time.Second)
	b.callback(b.follow(b.submit(page, "action", "UPDATE_PASSWORD", "password", "brand-new-pw-3", "confirmation", "brand-new-pw-3")))
}
