package authredis_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// Review finding 10.4: with Redis up but silent, every request with a bearer
// token hung (rueidis waits, and retries read-only commands, for as long as
// the context lasts). A command made with a call budget now fails with
// CodeUnavailable once the budget is spent — the revocation check fails
// closed — and the store works again once Redis answers.
func TestSilentRedisFailsFastAndRecovers(t *testing.T) {
	client, prefix, proxy := iamtest.StallableRedis(t)
	s := authredis.New(client, authredis.WithPrefix(prefix))
	// Stalled calls get a short budget; the others the default one, so that
	// reconnecting on a loaded machine is not mistaken for a failure.
	short := iam.WithCallTimeout(context.Background(), 200*time.Millisecond)
	ctx := iam.WithCallTimeout(context.Background(), 5*time.Second)
	calls := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"RevocationCheck", func(ctx context.Context) error {
			_, err := s.AccessTokenRevoked(ctx, "acme", "jti-1", "sid-1", time.Now())
			return err
		}},
		{"Revoke", func(ctx context.Context) error { return s.RevokeAccessToken(ctx, "acme", "jti-2", time.Minute) }},
		{"LoginFailures", func(ctx context.Context) error { _, err := s.LoginFailures(ctx, "acme", "user:u1"); return err }},
	}
	if err := s.EnsureEpoch(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	for _, c := range calls {
		if err := c.run(ctx); err != nil {
			t.Fatalf("%s before the stall: %v", c.name, err)
		}
	}
	proxy.Stall()
	for _, c := range calls {
		t.Run(c.name+"Unavailable", func(t *testing.T) {
			if code := iam.ErrorCode(c.run(short)); code != iam.CodeUnavailable {
				t.Fatalf("code = %q, want unavailable", code)
			}
		})
	}
	proxy.Resume()
	for _, c := range calls {
		t.Run(c.name+"Recovers", func(t *testing.T) {
			if err := c.run(ctx); err != nil {
				t.Fatalf("after Redis answers again: %v", err)
			}
		})
	}
}
