package authredis_test

import (
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/auth/authtest"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestTokenStore(t *testing.T) {
	authtest.RunTokenStore(t, func(t *testing.T) authtest.TokenStoreHarness {
		client, prefix := iamtest.Redis(t)
		return authtest.TokenStoreHarness{Store: authredis.New(client, authredis.WithPrefix(prefix))}
	})
}

// Review finding 10.5: revocations are a denylist, so an emptied Redis
// accepted every logged-out token again. Tokens issued before the state was
// lost are now refused.
func TestLostStateDoesNotResurrectRevokedTokens(t *testing.T) {
	ctx := t.Context()
	client, prefix := iamtest.Redis(t)
	s := authredis.New(client, authredis.WithPrefix(prefix))
	if err := s.EnsureEpoch(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	issued := time.Now()
	if err := s.RevokeAccessToken(ctx, "acme", "logged-out", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "acme", "ended", time.Hour); err != nil {
		t.Fatal(err)
	}

	time.Sleep(1100 * time.Millisecond) // the next epoch is a later second
	keys, err := client.Do(ctx, client.B().Keys().Pattern(prefix+"*").Build()).AsStrSlice()
	if err != nil || len(keys) == 0 {
		t.Fatalf("keys = %v, %v", keys, err)
	}
	if err := client.Do(ctx, client.B().Del().Key(keys...).Build()).Error(); err != nil { // Redis lost its state
		t.Fatal(err)
	}

	for _, c := range []struct{ jti, sid string }{{"logged-out", ""}, {"other", "ended"}, {"never-revoked", ""}} {
		revoked, err := s.AccessTokenRevoked(ctx, "acme", c.jti, c.sid, issued)
		if err != nil || !revoked {
			t.Errorf("token %s/%s issued before the loss: revoked = %v, %v", c.jti, c.sid, revoked, err)
		}
	}
	if revoked, err := s.AccessTokenRevoked(ctx, "acme", "new", "", time.Now()); err != nil || revoked {
		t.Errorf("token issued after the loss: revoked = %v, %v", revoked, err)
	}
}
