package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// authorizeReq is a valid authorization request of the public client
// browser, which registers https://browser.example/cb and requires PKCE.
func authorizeReq() auth.AuthorizationRequest {
	return auth.AuthorizationRequest{Realm: "acme", ResponseType: "code", ClientID: "browser",
		RedirectURI: "https://browser.example/cb", Scope: "openid profile", State: "st-1", Nonce: "n-1",
		CodeChallenge: challenge(verifier), CodeChallengeMethod: auth.PKCES256}
}

func newBrowserEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.dir.PutClient(clients.Client{ID: "c-browser", Realm: "acme", ClientID: "browser", Name: "Browser app", Enabled: true,
		PublicClient: true, StandardFlowEnabled: true, RedirectURIs: []string{"https://browser.example/cb", "http://127.0.0.1/cb"}}, "")
	e.dir.PutClient(clients.Client{ID: "c-noflow", Realm: "acme", ClientID: "noflow", Enabled: true,
		PublicClient: true, RedirectURIs: []string{"https://noflow.example/cb"}}, "")
	return e
}

func TestAuthorizeAcceptsAValidRequest(t *testing.T) {
	e := newBrowserEnv(t)
	req := authorizeReq()
	req.Prompt, req.MaxAge, req.ResponseMode, req.LoginHint = "login", "300", auth.ResponseModeFormPost, "alice"
	a, err := e.svc.Authorize(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	want := auth.Authorization{ClientID: "browser", ClientUUID: "c-browser", ClientName: "Browser app",
		RedirectURI: "https://browser.example/cb", ResponseMode: auth.ResponseModeFormPost, State: "st-1",
		Scope: "openid profile", Nonce: "n-1", CodeChallenge: challenge(verifier), CodeChallengeMethod: auth.PKCES256,
		Prompt: auth.PromptLogin, MaxAge: 300, LoginHint: "alice"}
	if a != want {
		t.Fatalf("Authorization = %+v\nwant %+v", a, want)
	}
}

func TestAuthorizeRefusals(t *testing.T) {
	tests := []struct {
		name     string
		change   func(*auth.AuthorizationRequest)
		code     string
		redirect bool // the error may go back to the client
	}{
		{"UnknownClientIsShownNotRedirected", func(r *auth.AuthorizationRequest) { r.ClientID = "nobody" }, auth.ErrorUnauthorizedClient, false},
		{"MissingClientIsShown", func(r *auth.AuthorizationRequest) { r.ClientID = "" }, auth.ErrorInvalidRequest, false},
		{"UnregisteredRedirectURIIsShownNotRedirected", func(r *auth.AuthorizationRequest) { r.RedirectURI = "https://evil.example/cb" }, auth.ErrorInvalidRequest, false},
		{"RedirectURIPrefixIsNotEnough", func(r *auth.AuthorizationRequest) { r.RedirectURI = "https://browser.example/cb/../evil" }, auth.ErrorInvalidRequest, false},
		{"RedirectURIWithFragmentIsRefused", func(r *auth.AuthorizationRequest) { r.RedirectURI = "https://browser.example/cb#x" }, auth.ErrorInvalidRequest, false},
		{"MissingRedirectURIWithSeveralRegisteredIsShown", func(r *auth.AuthorizationRequest) { r.RedirectURI = "" }, auth.ErrorInvalidRequest, false},
		{"TokenResponseTypeIsUnsupported", func(r *auth.AuthorizationRequest) { r.ResponseType = "token" }, auth.ErrorUnsupportedResponseType, true},
		{"HybridResponseTypeIsUnsupported", func(r *auth.AuthorizationRequest) { r.ResponseType = "code id_token" }, auth.ErrorUnsupportedResponseType, true},
		{"MissingResponseType", func(r *auth.AuthorizationRequest) { r.ResponseType = "" }, auth.ErrorInvalidRequest, true},
		{"MissingPKCEForAPublicClient", func(r *auth.AuthorizationRequest) { r.CodeChallenge, r.CodeChallengeMethod = "", "" }, auth.ErrorInvalidRequest, true},
		{"PlainPKCEIsRefused", func(r *auth.AuthorizationRequest) { r.CodeChallenge, r.CodeChallengeMethod = verifier, auth.PKCEPlain }, auth.ErrorInvalidRequest, true},
		{"ImplicitPlainPKCEIsRefused", func(r *auth.AuthorizationRequest) { r.CodeChallenge, r.CodeChallengeMethod = verifier, "" }, auth.ErrorInvalidRequest, true},
		{"FragmentResponseModeIsRefused", func(r *auth.AuthorizationRequest) { r.ResponseMode = auth.ResponseModeFragment }, auth.ErrorInvalidRequest, true},
		{"UnknownScope", func(r *auth.AuthorizationRequest) { r.Scope = "openid admin" }, auth.ErrorInvalidScope, true},
		{"PromptNoneWithLogin", func(r *auth.AuthorizationRequest) { r.Prompt = "none login" }, auth.ErrorInvalidRequest, true},
		{"UnknownPrompt", func(r *auth.AuthorizationRequest) { r.Prompt = "create" }, auth.ErrorInvalidRequest, true},
		{"NegativeMaxAge", func(r *auth.AuthorizationRequest) { r.MaxAge = "-1" }, auth.ErrorInvalidRequest, true},
		{"MaxAgeNotANumber", func(r *auth.AuthorizationRequest) { r.MaxAge = "10s" }, auth.ErrorInvalidRequest, true},
		{"RequestObjectsAreNotSupported", func(r *auth.AuthorizationRequest) { r.Request = "eyJ.x.y" }, auth.ErrorRequestNotSupported, true},
		{"ClientWithoutStandardFlow", func(r *auth.AuthorizationRequest) {
			r.ClientID, r.RedirectURI = "noflow", "https://noflow.example/cb"
		}, auth.ErrorUnauthorizedClient, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newBrowserEnv(t)
			req := authorizeReq()
			tt.change(&req)
			a, err := e.svc.Authorize(context.Background(), req)
			wantOAuth(t, err, tt.code)
			if got := a.RedirectURI != ""; got != tt.redirect {
				t.Fatalf("redirectable = %v (RedirectURI %q), want %v", got, a.RedirectURI, tt.redirect)
			}
			if tt.redirect && a.State != "st-1" {
				t.Fatalf("state = %q", a.State)
			}
		})
	}
}

func TestAuthorizeAcceptsAnyPortOnALoopbackRedirect(t *testing.T) {
	e := newBrowserEnv(t)
	req := authorizeReq()
	req.RedirectURI = "http://127.0.0.1:51004/cb"
	if a, err := e.svc.Authorize(context.Background(), req); err != nil || a.RedirectURI != req.RedirectURI {
		t.Fatalf("Authorize = %+v, %v", a, err)
	}
}

func TestAuthorizeUsesTheOnlyRegisteredRedirectURI(t *testing.T) {
	e := newBrowserEnv(t)
	req := authorizeReq()
	req.ClientID, req.RedirectURI, req.CodeChallenge, req.CodeChallengeMethod = "app", "", "", ""
	if a, err := e.svc.Authorize(context.Background(), req); err != nil || a.RedirectURI != "https://app/cb" {
		t.Fatalf("Authorize = %+v, %v", a, err)
	}
}

func TestAuthorizeUnknownRealmIsNotFound(t *testing.T) {
	e := newBrowserEnv(t)
	req := authorizeReq()
	req.Realm = "nowhere"
	if _, err := e.svc.Authorize(context.Background(), req); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
}

func browserAttempt() auth.BrowserAttempt {
	return auth.BrowserAttempt{Realm: "acme", ClientID: "browser", IP: "192.0.2.7", UserAgent: "test"}
}

func TestCheckPasswordFeedsBruteForceAndEvents(t *testing.T) {
	e := newBrowserEnv(t)
	ctx := context.Background()
	for range 3 {
		_, err := e.svc.CheckPassword(ctx, browserAttempt(), "alice", "wrong")
		wantOAuth(t, err, auth.ErrorInvalidGrant)
	}
	// Locked now: even the right password fails, as a credential failure.
	_, err := e.svc.CheckPassword(ctx, browserAttempt(), "alice", "alice-password")
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	failures := e.events.ofType(iam.TopicLoginFailure)
	if len(failures) != 4 {
		t.Fatalf("%d failure events", len(failures))
	}
	var last auth.LoginFailureEvent
	if err := failures[3].Decode(&last); err != nil {
		t.Fatal(err)
	}
	if last.Reason != auth.ReasonUserTemporarilyDisabled || last.ClientID != "browser" ||
		last.GrantType != auth.GrantAuthorizationCode || last.IPAddress != "192.0.2.7" {
		t.Fatalf("last failure = %+v", last)
	}
	e.clock.Advance(2 * time.Minute)
	if u, err := e.svc.CheckPassword(ctx, browserAttempt(), "alice@example.com", "alice-password"); err != nil || u.ID != alice.ID {
		t.Fatalf("after the wait: %+v, %v", u, err)
	}
}

func TestCheckPasswordNamesTheMissingField(t *testing.T) {
	e := newBrowserEnv(t)
	_, err := e.svc.CheckPassword(context.Background(), browserAttempt(), "alice", "")
	var ie *iam.Error
	if !errors.As(err, &ie) || ie.Code != iam.CodeInvalid || ie.Field != "password" {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.events.ofType(iam.TopicLoginFailure)); n != 0 {
		t.Fatalf("%d failure events for a form left empty", n)
	}
}

func (e *env) startSession(t *testing.T, cont *auth.BrowserSession) (auth.BrowserSession, string) {
	t.Helper()
	b, cookie, err := e.svc.StartBrowserSession(context.Background(), auth.SessionStart{
		Attempt: browserAttempt(), ClientUUID: "c-browser", User: alice, Continue: cont})
	if err != nil {
		t.Fatal(err)
	}
	return b, cookie
}

func TestBrowserSessionLifecycle(t *testing.T) {
	e := newBrowserEnv(t)
	ctx := context.Background()
	b, cookie := e.startSession(t, nil)
	logins := e.events.ofType(iam.TopicLoginSuccess)
	if len(logins) != 1 {
		t.Fatalf("%d login events", len(logins))
	}
	var ev auth.LoginSuccessEvent
	_ = logins[0].Decode(&ev)
	if ev.SessionID != b.SessionID || ev.ClientUUID != "c-browser" || ev.ClientID != "browser" ||
		ev.SessionExpiresAt != e.clock.Now().Add(10*time.Hour).Unix() {
		t.Fatalf("login event = %+v", ev)
	}
	got, err := e.svc.BrowserSession(ctx, "acme", cookie)
	if err != nil || got.SessionID != b.SessionID || got.UserID != alice.ID || got.CSRF == "" {
		t.Fatalf("BrowserSession = %+v, %v", got, err)
	}
	if _, err := e.svc.BrowserSession(ctx, "other", cookie); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("another realm's cookie: %v", err)
	}
	if _, err := e.svc.BrowserSession(ctx, "acme", cookie+"x"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("a forged cookie: %v", err)
	}
	if err := e.svc.EndBrowserSession(ctx, "acme", got, "browser"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.BrowserSession(ctx, "acme", cookie); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("after logout: %v", err)
	}
	if n := len(e.events.ofType(iam.TopicLogout)); n != 1 {
		t.Fatalf("%d logout events", n)
	}
}

func TestBrowserSessionEndsWithItsMaxLifespan(t *testing.T) {
	e := newBrowserEnv(t)
	_, cookie := e.startSession(t, nil)
	e.clock.Advance(10 * time.Hour)
	if _, err := e.svc.BrowserSession(context.Background(), "acme", cookie); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("after the max lifespan: %v", err)
	}
}

func TestBrowserSessionEndsWhenTheUserChangesCredentials(t *testing.T) {
	e := newBrowserEnv(t)
	_, cookie := e.startSession(t, nil)
	if err := e.svc.EndUserSessions(context.Background(), "acme", alice.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.BrowserSession(context.Background(), "acme", cookie); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("after the credentials changed: %v", err)
	}
}

func TestBrowserSessionEndsWithADisabledUser(t *testing.T) {
	e := newBrowserEnv(t)
	_, cookie := e.startSession(t, nil)
	disabled := alice
	disabled.Enabled = false
	e.dir.PutUser(disabled, "alice-password")
	if _, err := e.svc.BrowserSession(context.Background(), "acme", cookie); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("a disabled user's session: %v", err)
	}
}

// sessions is a SessionChecker whose sessions in dead have ended.
type sessions struct{ dead map[string]bool }

func (s sessions) Alive(_ context.Context, _ iam.Realm, sid string) (bool, error) {
	return !s.dead[sid], nil
}
func (s sessions) Touch(_ context.Context, _ iam.Realm, sid string) (bool, error) {
	return !s.dead[sid], nil
}

func TestBrowserSessionEndsWhenTheSessionServiceSaysSo(t *testing.T) {
	dead := map[string]bool{}
	e := newEnv(t, auth.WithSessionChecker(sessions{dead}))
	b, cookie := e.startSession(t, nil)
	dead[b.SessionID] = true
	if _, err := e.svc.BrowserSession(context.Background(), "acme", cookie); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("a terminated session: %v", err)
	}
}

func TestSigningInAgainContinuesTheSession(t *testing.T) {
	e := newBrowserEnv(t)
	first, oldCookie := e.startSession(t, nil)
	e.clock.Advance(time.Minute)
	second, cookie := e.startSession(t, &first)
	if second.SessionID != first.SessionID || !second.Started.Equal(first.Started) || !second.AuthTime.After(first.AuthTime) {
		t.Fatalf("continued session = %+v, first %+v", second, first)
	}
	if _, err := e.svc.BrowserSession(context.Background(), "acme", oldCookie); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("the replaced cookie still works: %v", err)
	}
	if _, err := e.svc.BrowserSession(context.Background(), "acme", cookie); err != nil {
		t.Fatal(err)
	}
}

func TestCheckIDTokenHint(t *testing.T) {
	e := newBrowserEnv(t)
	ctx := context.Background()
	tok := e.passwordLogin("openid")
	e.clock.Advance(time.Hour) // long expired: still a valid hint
	hint, err := e.svc.CheckIDTokenHint(ctx, "acme", tok.IDToken)
	if err != nil || hint.Subject != alice.ID || hint.SessionID != tok.SessionState || hint.ClientID != "app" {
		t.Fatalf("hint = %+v, %v", hint, err)
	}
	refusals := map[string]string{
		"AccessToken": tok.AccessToken,
		"Garbage":     "not.a.token",
		"Tampered":    tok.IDToken[:len(tok.IDToken)-4] + "AAAA",
	}
	for name, raw := range refusals {
		if _, err := e.svc.CheckIDTokenHint(ctx, "acme", raw); auth.OAuthCode(err) != auth.ErrorInvalidRequest {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := e.svc.CheckIDTokenHint(ctx, "other", tok.IDToken); auth.OAuthCode(err) != auth.ErrorInvalidRequest {
		t.Errorf("another realm's ID token: %v", err)
	}
}
