package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
)

func refreshReq(token, clientID, secret string) auth.TokenRequest {
	return auth.TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: token,
		Client: auth.ClientCredentials{ClientID: clientID, Secret: secret}}
}

func TestRefreshRotatesTheTokenAndKeepsTheSession(t *testing.T) {
	e := newEnv(t)
	first := e.passwordLogin("openid")
	e.clock.Advance(time.Minute)
	second := e.mustToken(refreshReq(first.RefreshToken, "app", "app-secret"))
	if second.RefreshToken == "" || second.RefreshToken == first.RefreshToken {
		t.Fatal("refresh token was not rotated")
	}
	if second.SessionState != first.SessionState || second.IDToken == "" || second.Scope != first.Scope {
		t.Fatalf("second = %+v", second)
	}
	id := jwtPart(t, second.IDToken, 1)
	if id["auth_time"] != float64(e.clock.Now().Add(-time.Minute).Unix()) {
		t.Errorf("auth_time = %v, want the login's", id["auth_time"])
	}
	third := e.mustToken(refreshReq(second.RefreshToken, "app", "app-secret"))
	if third.SessionState != first.SessionState {
		t.Fatal("session changed")
	}
}

func TestRefreshTokenReuseRevokesTheFamilyAndTheSession(t *testing.T) {
	e := newEnv(t)
	first := e.passwordLogin("openid")
	second := e.mustToken(refreshReq(first.RefreshToken, "app", "app-secret"))

	// The first token is replayed (an attacker, or the victim after the
	// attacker): the whole family dies, including the current token.
	_, err := e.token(refreshReq(first.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	_, err = e.token(refreshReq(second.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	if e.introspect(second.AccessToken).Active {
		t.Fatal("access token of the revoked session is still active")
	}
	logouts := e.events.ofType(iam.TopicLogout)
	if len(logouts) != 1 || logouts[0].Subject != "u-alice" {
		t.Fatalf("logout events = %+v", logouts)
	}
	// Another session of the same user is untouched.
	other := e.passwordLogin("")
	if !e.introspect(other.AccessToken).Active {
		t.Fatal("unrelated session was revoked")
	}
}

func TestRefreshTokenIsBoundToItsClient(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("")
	_, err := e.token(refreshReq(tok.RefreshToken, "app2", "app2-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	// The rightful client can still use it: a foreign client's attempt
	// neither consumed nor revoked it.
	e.mustToken(refreshReq(tok.RefreshToken, "app", "app-secret"))
}

func TestRefreshTokenIsScopedToItsRealm(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("")
	req := refreshReq(tok.RefreshToken, "svc", "svc-secret")
	req.Realm = "other"
	_, err := e.token(req)
	wantOAuth(t, err, auth.ErrorInvalidGrant)
}

func TestRefreshTokenExpiresAfterSessionIdle(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("")
	e.clock.Advance(31 * time.Minute)
	_, err := e.token(refreshReq(tok.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
}

func TestRefreshStopsAtSessionMaxLifespan(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("")
	for i := 0; i < 21; i++ { // 21 × 29m > 10h
		e.clock.Advance(29 * time.Minute)
		next, err := e.token(refreshReq(tok.RefreshToken, "app", "app-secret"))
		if err != nil {
			wantOAuth(t, err, auth.ErrorInvalidGrant)
			if i < 19 {
				t.Fatalf("session ended after %d refreshes", i)
			}
			return
		}
		if next.RefreshExpiresIn > 1800 {
			t.Fatalf("refresh_expires_in = %d", next.RefreshExpiresIn)
		}
		tok = next
	}
	t.Fatal("refresh kept working past the session max lifespan")
}

func TestRefreshScope(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("openid")
	narrowed := e.mustToken(auth.TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: tok.RefreshToken,
		Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"}, Scope: "openid email"})
	if narrowed.Scope != "openid email" || jwtPart(t, narrowed.AccessToken, 1)["name"] != nil {
		t.Fatalf("narrowed = %q", narrowed.Scope)
	}
	// The refresh token keeps the original grant.
	again := e.mustToken(refreshReq(narrowed.RefreshToken, "app", "app-secret"))
	if again.Scope != "openid profile email" {
		t.Fatalf("scope after narrowing = %q", again.Scope)
	}
	_, err := e.token(auth.TokenRequest{GrantType: auth.GrantRefreshToken, RefreshToken: again.RefreshToken,
		Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"}, Scope: "openid phone"})
	wantOAuth(t, err, auth.ErrorInvalidScope)
}

func TestRefreshFailsForDisabledOrDeletedUsers(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("")
	u := alice
	u.Enabled = false
	e.dir.PutUser(u, "alice-password")
	_, err := e.token(refreshReq(tok.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)

	e.dir.PutUser(alice, "alice-password")
	tok = e.passwordLogin("")
	e.dir.DeleteUser("acme", alice.ID)
	_, err = e.token(refreshReq(tok.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
}

func TestRefreshPicksUpNewRolesAndProfile(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("")
	u := alice
	u.FirstName = "Alicia"
	e.dir.PutUser(u, "alice-password")
	e.dir.SetRoles("acme", alice.ID, []string{"user", "auditor"}, nil)
	next := e.mustToken(refreshReq(tok.RefreshToken, "app", "app-secret"))
	c := jwtPart(t, next.AccessToken, 1)
	if c["given_name"] != "Alicia" || len(c["realm_access"].(map[string]any)["roles"].([]any)) != 2 {
		t.Fatalf("claims = %v", c)
	}
}

// sessionChecker answers from a map and counts touches.
type sessionChecker struct {
	alive   map[string]bool
	touches map[string]int
}

func newSessionChecker() *sessionChecker {
	return &sessionChecker{alive: map[string]bool{}, touches: map[string]int{}}
}

func (s *sessionChecker) Alive(_ context.Context, _ iam.Realm, sid string) (bool, error) {
	return s.alive[sid], nil
}

func (s *sessionChecker) Touch(_ context.Context, _ iam.Realm, sid string) (bool, error) {
	s.touches[sid]++
	return s.alive[sid], nil
}

func TestRefreshTouchesTheSessionWhenConfigured(t *testing.T) {
	sessions := newSessionChecker()
	e := newEnv(t, auth.WithSessionChecker(sessions))
	tok := e.passwordLogin("")
	sessions.alive[tok.SessionState] = true
	tok = e.mustToken(refreshReq(tok.RefreshToken, "app", "app-secret"))
	if sessions.touches[tok.SessionState] != 1 {
		t.Fatalf("touches = %v, want one per refresh", sessions.touches)
	}
	sessions.alive[tok.SessionState] = false
	_, err := e.token(refreshReq(tok.RefreshToken, "app", "app-secret"))
	wantOAuth(t, err, auth.ErrorInvalidGrant)
}

func TestIntrospectionAsksWhetherTheSessionIsAlive(t *testing.T) {
	sessions := newSessionChecker()
	e := newEnv(t, auth.WithSessionChecker(sessions))
	tok := e.passwordLogin("")
	sessions.alive[tok.SessionState] = true
	for _, token := range []string{tok.AccessToken, tok.RefreshToken} {
		if in := e.introspect(token); !in.Active {
			t.Fatalf("a token of an alive session introspects inactive")
		}
	}
	sessions.alive[tok.SessionState] = false
	for _, token := range []string{tok.AccessToken, tok.RefreshToken} {
		if in := e.introspect(token); in.Active {
			t.Fatalf("a token of an ended session introspects active: %+v", in.Claims)
		}
	}
	if len(sessions.touches) != 0 {
		t.Fatalf("introspection touched sessions: %v", sessions.touches)
	}
}
