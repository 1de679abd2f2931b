package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/realms"
)

// The account API's current-password checks (auth.Lockout) and the
// password grant share their counters: either's failures lock out both.
func TestLockoutSharesTheTokenEndpointsCounters(t *testing.T) {
	ctx := context.Background()
	newLockout := func(e *env) *auth.Lockout { return auth.NewLockout(e.dir.Realms(), e.tokens, 0, e.clock.Now) }
	t.Run("CurrentPasswordFailuresLockThePasswordGrant", func(t *testing.T) {
		e := newEnv(t)
		l := newLockout(e)
		for range 3 {
			if err := l.Failed(ctx, "acme", alice.ID, "192.0.2.1"); err != nil {
				t.Fatal(err)
			}
		}
		if locked, err := l.Locked(ctx, "acme", alice.ID, ""); err != nil || !locked {
			t.Fatalf("Locked = %v, %v after 3 failures (factor 3)", locked, err)
		}
		wantOAuth(t, e.login("alice", "alice-password", "192.0.2.9"), auth.ErrorInvalidGrant)
		e.clock.Advance(61 * time.Second)
		if err := e.login("alice", "alice-password", "192.0.2.9"); err != nil {
			t.Fatalf("after the wait: %v", err)
		}
	})
	t.Run("PasswordGrantFailuresLockTheCurrentPasswordCheck", func(t *testing.T) {
		e := newEnv(t)
		for range 3 {
			_ = e.login("alice", "wrong", "192.0.2.1")
		}
		if locked, err := newLockout(e).Locked(ctx, "acme", alice.ID, ""); err != nil || !locked {
			t.Fatalf("Locked = %v, %v after 3 failed logins", locked, err)
		}
	})
	t.Run("AnAddressIsLockedAcrossUsersAtFiveTimesTheFactor", func(t *testing.T) {
		e := newEnv(t)
		l := newLockout(e)
		for i := range 15 {
			if locked, _ := l.Locked(ctx, "acme", "someone-else", "192.0.2.7"); locked {
				t.Fatalf("the address is locked after %d failures, before 15 (3 × 5)", i)
			}
			if err := l.Failed(ctx, "acme", "user-"+string(rune('a'+i)), "192.0.2.7"); err != nil {
				t.Fatal(err)
			}
		}
		if locked, _ := l.Locked(ctx, "acme", "someone-else", "192.0.2.7"); !locked {
			t.Fatal("the address is not locked after 15 failures (3 × 5)")
		}
		if locked, _ := l.Locked(ctx, "acme", "someone-else", "192.0.2.8"); locked {
			t.Fatal("another address is locked")
		}
	})
	t.Run("SuccessClearsTheUsersFailures", func(t *testing.T) {
		e := newEnv(t)
		l := newLockout(e)
		for range 2 {
			_ = l.Failed(ctx, "acme", alice.ID, "")
		}
		if err := l.Succeeded(ctx, "acme", alice.ID); err != nil {
			t.Fatal(err)
		}
		_ = l.Failed(ctx, "acme", alice.ID, "")
		if locked, _ := l.Locked(ctx, "acme", alice.ID, ""); locked {
			t.Fatal("locked after a success and one failure")
		}
	})
	t.Run("ARealmWithoutProtectionCountsNothing", func(t *testing.T) {
		e := newEnv(t)
		r, _ := e.dir.Realms().Get(ctx, "acme")
		r.BruteForce = realms.BruteForce{Enabled: false}
		e.dir.PutRealm(r)
		l := newLockout(e)
		for range 10 {
			_ = l.Failed(ctx, "acme", alice.ID, "192.0.2.1")
		}
		if locked, _ := l.Locked(ctx, "acme", alice.ID, "192.0.2.1"); locked {
			t.Fatal("locked in a realm without brute-force protection")
		}
	})
}
