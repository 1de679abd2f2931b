package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
)

// With WithTokenCache a token presented again skips only its signature
// check: each case accepts alice's token twice (the second time from the
// cache), changes something, and expects userinfo to refuse it and
// introspection (which does not read the user) to find it inactive, as
// they would without the cache.
func TestTokenCacheRechecksWhatCanChange(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(e *env, claims *auth.AccessClaims)
		// stillActive: introspection still answers active (it does not
		// read the user).
		stillActive bool
	}{
		{"Expired", func(e *env, _ *auth.AccessClaims) { e.clock.Advance(5 * time.Minute) }, false},
		{"Revoked", func(e *env, c *auth.AccessClaims) {
			if err := e.tokens.RevokeAccessToken(ctx, "acme", c.ID, time.Hour); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"SessionEnded", func(e *env, c *auth.AccessClaims) {
			if err := e.svc.TerminateSession(ctx, "acme", c.SessionID); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"RealmRecreated", func(e *env, _ *auth.AccessClaims) {
			r, _ := e.dir.Realms().Get(ctx, "acme")
			r.ID = "id-of-the-new-acme"
			e.dir.PutRealm(r)
		}, false},
		{"UserDisabled", func(e *env, _ *auth.AccessClaims) {
			u := alice
			u.Enabled = false
			e.dir.PutUser(u, "alice-password")
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, auth.WithTokenCache(10))
			tok := e.passwordLogin("openid profile").AccessToken
			var claims *auth.AccessClaims
			for range 2 { // verified, then from the cache
				c, err := e.svc.VerifyAccessToken(ctx, "acme", tok)
				if err != nil {
					t.Fatal(err)
				}
				claims = c
				if _, err := e.svc.UserInfo(ctx, "acme", tok); err != nil {
					t.Fatal(err)
				}
			}
			tt.change(e, claims)
			if in := e.introspect(tok); in.Active != tt.stillActive {
				t.Errorf("introspection: active = %v, want %v", in.Active, tt.stillActive)
			}
			_, err := e.svc.UserInfo(ctx, "acme", tok)
			wantOAuth(t, err, auth.ErrorInvalidToken)
		})
	}
}

// A token altered in any byte is not the cached token: it is verified in
// full and refused.
func TestTokenCacheDoesNotAcceptAnAlteredToken(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, auth.WithTokenCache(10))
	tok := e.passwordLogin("openid").AccessToken
	if _, err := e.svc.VerifyAccessToken(ctx, "acme", tok); err != nil {
		t.Fatal(err)
	}
	i := len(tok) - 10 // within the signature
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	altered := tok[:i] + string(c) + tok[i+1:]
	_, err := e.svc.VerifyAccessToken(ctx, "acme", altered)
	wantOAuth(t, err, auth.ErrorInvalidToken)
}
