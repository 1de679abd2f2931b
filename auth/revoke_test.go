package auth_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/session"
)

func base(token, clientID, secret string) auth.TokenRequestBase {
	return auth.TokenRequestBase{Realm: "acme", Token: token, Client: auth.ClientCredentials{ClientID: clientID, Secret: secret}}
}

func TestRevokingAnAccessTokenBlacklistsItsID(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("openid")
	if err := e.svc.Revoke(context.Background(), base(tok.AccessToken, "app", "app-secret")); err != nil {
		t.Fatal(err)
	}
	if e.introspect(tok.AccessToken).Active {
		t.Fatal("revoked access token is active")
	}
	_, err := e.svc.UserInfo(context.Background(), "acme", tok.AccessToken)
	wantOAuth(t, err, auth.ErrorInvalidToken)
	revoked, err := auth.Revocations{Store: e.tokens}.Revoked(context.Background(), "acme", jwtPart(t, tok.AccessToken, 1)["jti"].(string), "", e.clock.Now())
	if err != nil || !revoked {
		t.Fatalf("Revocations.Revoked = %v, %v", revoked, err)
	}
	// The session and its refresh token live on.
	e.mustToken(refreshReq(tok.RefreshToken, "app", "app-secret"))
}

// Revoking a refresh token revokes the access tokens issued with it too
// (RFC 7009 §2.1, issue 10 §15): the whole session ends, as a logout, and
// only that session.
func TestRevokingARefreshTokenRevokesItsFamilyAndItsAccessTokens(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	tok := e.passwordLogin("")
	next := e.mustToken(refreshReq(tok.RefreshToken, "app", "app-secret"))
	other := e.passwordLogin("")
	if err := e.svc.Revoke(ctx, base(next.RefreshToken, "app", "app-secret")); err != nil {
		t.Fatal(err)
	}
	_, err := e.token(refreshReq(next.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	if e.introspect(next.RefreshToken).Active {
		t.Fatal("revoked refresh token introspects active")
	}
	for name, access := range map[string]string{"first": tok.AccessToken, "refreshed": next.AccessToken} {
		if e.introspect(access).Active {
			t.Fatalf("the %s access token of the revoked refresh token introspects active", name)
		}
		if _, err := e.svc.VerifyAccessToken(ctx, "acme", access); err == nil {
			t.Fatalf("the %s access token of the revoked refresh token still verifies", name)
		}
	}
	if len(e.events.ofType(iam.TopicLogout)) != 1 {
		t.Fatal("the revocation did not end the session (no auth.logout for the session service)")
	}
	if !e.introspect(other.AccessToken).Active {
		t.Fatal("another session's access token was revoked too")
	}
	// Revoking it again is harmless.
	if err := e.svc.Revoke(ctx, base(next.RefreshToken, "app", "app-secret")); err != nil {
		t.Fatal(err)
	}
}

func TestRevocationErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("")
	// Unknown and malformed tokens are fine (RFC 7009 §2.2).
	for _, token := range []string{"unknown", "a.b.c"} {
		if err := e.svc.Revoke(context.Background(), base(token, "app", "app-secret")); err != nil {
			t.Fatalf("Revoke(%q) = %v", token, err)
		}
	}
	wantOAuth(t, e.svc.Revoke(context.Background(), base("", "app", "app-secret")), auth.ErrorInvalidRequest)
	wantOAuth(t, e.svc.Revoke(context.Background(), base(tok.RefreshToken, "app", "wrong")), auth.ErrorInvalidClient)
	wantOAuth(t, e.svc.Revoke(context.Background(), base(tok.RefreshToken, "app2", "app2-secret")), auth.ErrorUnauthorizedClient)
	wantOAuth(t, e.svc.Revoke(context.Background(), base(tok.AccessToken, "app2", "app2-secret")), auth.ErrorUnauthorizedClient)
	// The other client's attempts changed nothing.
	if !e.introspect(tok.AccessToken).Active {
		t.Fatal("foreign revocation took effect")
	}
	e.mustToken(refreshReq(tok.RefreshToken, "app", "app-secret"))
}

func TestPublicClientCanRevokeItsTokens(t *testing.T) {
	e := newEnv(t)
	tok := e.mustToken(auth.TokenRequest{GrantType: auth.GrantPassword, Client: auth.ClientCredentials{ClientID: "spa"},
		Username: "alice", Password: "alice-password"})
	if err := e.svc.Revoke(context.Background(), base(tok.RefreshToken, "spa", "")); err != nil {
		t.Fatal(err)
	}
	_, err := e.token(refreshReq(tok.RefreshToken, "spa", ""))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
}

func TestIntrospection(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("openid")
	in := e.introspect(tok.AccessToken)
	if !in.Active || in.Claims.Subject != alice.ID || in.Claims.SessionID != tok.SessionState || in.Claims.Type != "Bearer" {
		t.Fatalf("access = %+v", in.Claims)
	}
	in = e.introspect(tok.RefreshToken)
	if !in.Active || in.Claims.Type != "Refresh" || in.Claims.Subject != alice.ID || in.Claims.AuthorizedParty != "app" {
		t.Fatalf("refresh = %+v", in.Claims)
	}
	// A refresh token is active only for the client it was issued to.
	other, err := e.svc.Introspect(context.Background(), base(tok.RefreshToken, "app2", "app2-secret"))
	if err != nil || other.Active {
		t.Fatalf("foreign refresh introspection = %+v, %v", other, err)
	}
	// Access tokens may be introspected by any confidential client of the realm.
	other, err = e.svc.Introspect(context.Background(), base(tok.AccessToken, "app2", "app2-secret"))
	if err != nil || !other.Active {
		t.Fatalf("resource-server introspection = %+v, %v", other, err)
	}
	// A rotated refresh token is inactive.
	e.mustToken(refreshReq(tok.RefreshToken, "app", "app-secret"))
	if e.introspect(tok.RefreshToken).Active {
		t.Fatal("rotated refresh token is active")
	}
}

func TestIntrospectionErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("")
	_, err := e.svc.Introspect(context.Background(), base(tok.AccessToken, "spa", ""))
	wantOAuth(t, err, auth.ErrorInvalidClient)
	_, err = e.svc.Introspect(context.Background(), base(tok.AccessToken, "app", "wrong"))
	wantOAuth(t, err, auth.ErrorInvalidClient)
	_, err = e.svc.Introspect(context.Background(), base("", "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidRequest)
	// A failing store is not "inactive".
	e.dir.Fail = func(m string) error {
		if m == "realms.Get" {
			return iam.Errorf(iam.CodeUnavailable, "down")
		}
		return nil
	}
	_, err = e.svc.Introspect(context.Background(), base(tok.AccessToken, "app", "app-secret"))
	if !errors.Is(err, iam.ErrUnavailable) {
		t.Fatalf("err = %v", err)
	}
}

func TestUserInfo(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("openid")
	info, err := e.svc.UserInfo(context.Background(), "acme", tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	id := jwtPart(t, tok.IDToken, 1)
	if info.Subject != id["sub"] || info.PreferredUsername != "alice" || info.Email != "alice@example.com" ||
		info.EmailVerified == nil || !*info.EmailVerified || info.Name != "Alice Liddell" {
		t.Fatalf("userinfo = %+v", info)
	}
	narrow := e.mustToken(auth.TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: tok.RefreshToken, Scope: "openid email",
		Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"}})
	info, err = e.svc.UserInfo(context.Background(), "acme", narrow.AccessToken)
	if err != nil || info.Email == "" || info.PreferredUsername != "" || info.Name != "" {
		t.Fatalf("email-only userinfo = %+v, %v", info, err)
	}
	noOpenID := e.passwordLogin("")
	_, err = e.svc.UserInfo(context.Background(), "acme", noOpenID.AccessToken)
	wantOAuth(t, err, auth.ErrorInsufficientScope)

	e.dir.DeleteUser("acme", alice.ID)
	_, err = e.svc.UserInfo(context.Background(), "acme", tok.AccessToken)
	wantOAuth(t, err, auth.ErrorInvalidToken)
}

func TestUserInfoForServiceAccounts(t *testing.T) {
	e := newEnv(t)
	tok := e.mustToken(auth.TokenRequest{GrantType: auth.GrantClientCredentials, Scope: "openid",
		Client: auth.ClientCredentials{ClientID: "svc", Secret: "svc-secret"}})
	info, err := e.svc.UserInfo(context.Background(), "acme", tok.AccessToken)
	if err != nil || info.Subject != "service-account-c-svc-acme" || info.PreferredUsername != "service-account-svc" {
		t.Fatalf("userinfo = %+v, %v", info, err)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("openid")
	next := e.mustToken(refreshReq(tok.RefreshToken, "app", "app-secret"))
	if err := e.svc.Logout(context.Background(), base(next.RefreshToken, "app", "app-secret")); err != nil {
		t.Fatal(err)
	}
	_, err := e.token(refreshReq(next.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	if e.introspect(next.AccessToken).Active || e.introspect(tok.AccessToken).Active {
		t.Fatal("access tokens of the ended session are active")
	}
	ev := e.events.ofType(iam.TopicLogout)
	var data auth.LogoutEvent
	if len(ev) != 1 || ev[0].Decode(&data) != nil || data.SessionID != tok.SessionState || data.UserID != alice.ID || data.ClientID != "app" {
		t.Fatalf("logout events = %+v (%+v)", ev, data)
	}
	// Logging out twice is an invalid grant, not a second event.
	wantOAuth(t, e.svc.Logout(context.Background(), base(next.RefreshToken, "app", "app-secret")), auth.ErrorInvalidGrant)
	if len(e.events.ofType(iam.TopicLogout)) != 1 {
		t.Fatal("second logout event")
	}
}

func TestLogoutErrors(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("")
	wantOAuth(t, e.svc.Logout(context.Background(), base("", "app", "app-secret")), auth.ErrorInvalidRequest)
	wantOAuth(t, e.svc.Logout(context.Background(), base("nope", "app", "app-secret")), auth.ErrorInvalidGrant)
	wantOAuth(t, e.svc.Logout(context.Background(), base(tok.RefreshToken, "app2", "app2-secret")), auth.ErrorInvalidGrant)
	wantOAuth(t, e.svc.Logout(context.Background(), base(tok.RefreshToken, "app", "bad")), auth.ErrorInvalidClient)
}

func TestTerminateSessionRevokesItsTokens(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("")
	other := e.passwordLogin("")
	for i := 0; i < 2; i++ { // idempotent
		if err := e.svc.TerminateSession(context.Background(), "acme", tok.SessionState); err != nil {
			t.Fatal(err)
		}
	}
	_, err := e.token(refreshReq(tok.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	if e.introspect(tok.AccessToken).Active {
		t.Fatal("access token of terminated session is active")
	}
	e.mustToken(refreshReq(other.RefreshToken, "app", "app-secret"))
	if err := e.svc.TerminateSession(context.Background(), "acme", ""); iam.ErrorCode(err) != iam.CodeInvalid {
		t.Fatalf("empty sid: %v", err)
	}
}

func TestRevokeUserEndsEverySessionOfTheUser(t *testing.T) {
	e := newEnv(t)
	a := e.passwordLogin("")
	b := e.passwordLogin("")
	_ = e.login("alice", "wrong", "")
	if err := e.svc.RevokeUser(context.Background(), "acme", alice.ID); err != nil {
		t.Fatal(err)
	}
	for _, tok := range []*auth.Tokens{a, b} {
		_, err := e.token(refreshReq(tok.RefreshToken, "app", "app-secret"))
		wantOAuth(t, err, auth.ErrorInvalidGrant)
		if e.introspect(tok.AccessToken).Active {
			t.Fatal("access token of revoked user is active")
		}
	}
	if st, _ := e.svc.BruteForceStatus(context.Background(), "acme", alice.ID); st.NumFailures != 0 {
		t.Fatalf("failures kept: %+v", st)
	}
	// Revoking in a realm that no longer exists still works.
	if err := e.svc.RevokeUser(context.Background(), "gone", "u1"); err != nil {
		t.Fatal(err)
	}
}

func TestHandleEvent(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("")
	ev, _ := iam.NewEvent("/opengate/session", iam.TopicSessionTerminated, "acme", tok.SessionState, nil)
	if err := e.svc.HandleEvent(context.Background(), ev); err != nil {
		t.Fatal(err)
	}
	_, err := e.token(refreshReq(tok.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)

	bad := ev
	bad.Data = []byte(`{"sessionId": 42}`)
	if err := e.svc.HandleEvent(context.Background(), bad); iam.ErrorCode(err) != iam.CodeInvalid {
		t.Fatalf("malformed event: %v", err)
	}
	other, _ := iam.NewEvent("/opengate/x", iam.TopicRealmCreated, "acme", "acme", nil)
	if err := e.svc.HandleEvent(context.Background(), other); err != nil {
		t.Fatalf("unrelated topic: %v", err)
	}
}

func TestRealmDeletedRetiresEveryKey(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok := e.passwordLogin("")
	before, err := e.svc.JWKS(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := iam.NewEvent("/opengate/realms", iam.TopicRealmDeleted, "acme", "acme", nil)
	for i := 0; i < 2; i++ { // redelivery is harmless
		if err := e.svc.HandleEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	// The realm still exists in this test's directory, as a realm created
	// again under the same name would: its old tokens must not verify.
	if e.introspect(tok.AccessToken).Active {
		t.Fatal("token signed before the realm was deleted is still active")
	}
	after, err := e.svc.JWKS(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if string(after) == string(before) {
		t.Fatal("the recreated realm publishes the deleted realm's keys")
	}
	if fresh := e.passwordLogin(""); !e.introspect(fresh.AccessToken).Active {
		t.Fatal("a token of the recreated realm is not active")
	}
}

// session.terminated as the session service publishes it (subject: the
// user; data: the session) revokes the session's refresh tokens and its
// access tokens, and only that session's.
func TestSessionTerminatedRevokesTheSessionsTokens(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	ended, other := e.passwordLogin(""), e.passwordLogin("")
	ev, err := iam.NewEvent(session.EventSource, iam.TopicSessionTerminated, "acme", alice.ID, session.TerminatedEvent{
		Realm: "acme", UserID: alice.ID, SessionID: ended.SessionState, Reason: session.ReasonAdmin})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a redelivery is harmless
		if err := e.svc.HandleEvent(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.token(refreshReq(ended.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	if _, err := e.svc.VerifyAccessToken(ctx, "acme", ended.AccessToken); err == nil {
		t.Fatal("the ended session's access token still verifies")
	}
	if in := e.introspect(ended.AccessToken); in.Active {
		t.Fatal("the ended session's access token introspects active")
	}
	if _, err := e.svc.VerifyAccessToken(ctx, "acme", other.AccessToken); err != nil {
		t.Fatalf("another session's access token: %v", err)
	}
	e.mustToken(refreshReq(other.RefreshToken, "app", "app-secret"))
}
