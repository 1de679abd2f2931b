package authredis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// CachedRevocations answers as AccessTokenRevoked does, for every kind of
// revocation.
func TestCachedRevocationsAnswerAsTheStore(t *testing.T) {
	ctx := t.Context()
	client, prefix := iamtest.CachingRedis(t)
	s := authredis.New(client, authredis.WithPrefix(prefix))
	cached := s.CachedRevocations(0)
	if err := s.EnsureEpoch(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAccessToken(ctx, "acme", "logged-out", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeSession(ctx, "acme", "ended", time.Hour); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(time.Second)
	for _, tt := range []struct {
		name, jti, sid string
		issued         time.Time
		want           bool
	}{
		{"NotRevoked", "fresh", "live", now, false},
		{"NotRevokedWithoutSession", "fresh", "", now, false},
		{"JTIRevoked", "logged-out", "live", now, true},
		{"SessionRevoked", "fresh", "ended", now, true},
		{"IssuedBeforeTheEpoch", "fresh", "live", now.Add(-time.Hour), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for i := range 2 { // a miss, then from the cache
				got, err := cached.Revoked(ctx, "acme", tt.jti, tt.sid, tt.issued)
				want, err2 := s.AccessTokenRevoked(ctx, "acme", tt.jti, tt.sid, tt.issued)
				if err != nil || err2 != nil || got != tt.want || want != tt.want {
					t.Fatalf("check %d: cached = %v, %v; store = %v, %v; want %v", i, got, err, want, err2, tt.want)
				}
			}
		})
	}
}

// The answer is served from the client's cache (it comes while Redis is
// unreachable), and a revocation written by another client — auth-service
// — is seen as soon as Redis's invalidation push arrives, for each kind:
// the token's jti, its session, and the realm's epoch (state lost).
func TestCachedRevocationsSeeARevocationWhenRedisPushesIt(t *testing.T) {
	for _, tt := range []struct {
		name   string
		revoke func(ctx context.Context, auth *authredis.Store) error
	}{
		{"AccessToken", func(ctx context.Context, auth *authredis.Store) error {
			return auth.RevokeAccessToken(ctx, "acme", "jti-1", time.Hour)
		}},
		{"Session", func(ctx context.Context, auth *authredis.Store) error {
			return auth.RevokeSession(ctx, "acme", "sid-1", time.Hour)
		}},
		{"StateLost", func(ctx context.Context, auth *authredis.Store) error {
			return auth.DeleteRealm(ctx, "acme") // the epoch goes: older tokens are refused
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			client, prefix, proxy := iamtest.StallableCachingRedis(t)
			gateway := authredis.New(client, authredis.WithPrefix(prefix)).CachedRevocations(time.Minute)
			authClient, _ := iamtest.Redis(t)
			auth := authredis.New(authClient, authredis.WithPrefix(prefix))
			// An epoch an hour old, so that a new one (state lost) is later
			// than the token.
			epoch := strconv.FormatInt(time.Now().Add(-time.Hour).Unix(), 10)
			if err := authClient.Do(ctx, authClient.B().Set().Key(prefix+"auth:{acme}:epoch").Value(epoch).Build()).Error(); err != nil {
				t.Fatal(err)
			}
			issued := time.Now().Add(-time.Minute)
			check := func() (bool, error) {
				ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
				defer cancel()
				return gateway.Revoked(ctx, "acme", "jti-1", "sid-1", issued)
			}
			if revoked, err := check(); err != nil || revoked {
				t.Fatalf("before: revoked = %v, %v", revoked, err)
			}
			proxy.Stall()
			revoked, err := check()
			proxy.Resume()
			if err != nil || revoked {
				t.Fatalf("again, Redis unreachable: revoked = %v, %v; want false from the cache", revoked, err)
			}

			if err := tt.revoke(ctx, auth); err != nil {
				t.Fatal(err)
			}
			written := time.Now()
			for {
				revoked, err := check()
				if err != nil {
					t.Fatal(err)
				}
				if revoked {
					t.Logf("revocation seen %v after it was written", time.Since(written))
					return
				}
				if time.Since(written) > 2*time.Second {
					t.Fatal("the revocation was not seen within 2 s: no invalidation arrived")
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}

// A check that is not in the cache while Redis does not answer fails
// (unavailable): the verifier refuses the token.
func TestCachedRevocationsFailClosed(t *testing.T) {
	client, prefix, proxy := iamtest.StallableCachingRedis(t)
	cached := authredis.New(client, authredis.WithPrefix(prefix)).CachedRevocations(0)
	proxy.Stall()
	defer proxy.Resume()
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	revoked, err := cached.Revoked(ctx, "acme", "never-seen", "", time.Now())
	if iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("Revoked with Redis stalled = %v, %v; want unavailable", revoked, err)
	}
}

// While Redis does not answer, cached answers are served only until the
// client gives the connection up (a PING, sent after a second without
// answers — up to two seconds after the stall —, unanswered for 2 s: about
// 4 s with cmd/gateway's settings); then the checks fail (closed).
func TestCachedRevocationsStopWhenRedisStopsAnswering(t *testing.T) {
	client, prefix, proxy := iamtest.StallableCachingRedis(t)
	s := authredis.New(client, authredis.WithPrefix(prefix))
	if err := s.EnsureEpoch(t.Context(), "acme"); err != nil {
		t.Fatal(err)
	}
	cached := s.CachedRevocations(time.Minute)
	issued := time.Now().Add(time.Second)
	check := func() error {
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		_, err := cached.Revoked(ctx, "acme", "jti-1", "", issued)
		return err
	}
	if err := check(); err != nil {
		t.Fatal(err)
	}
	proxy.Stall()
	defer proxy.Resume()
	stalled := time.Now()
	if err := check(); err != nil {
		t.Fatalf("just after Redis stopped answering: %v, want the cached answer", err)
	}
	for check() == nil {
		if time.Since(stalled) > 5*time.Second {
			t.Fatal("cached answers still served 5 s after Redis stopped answering")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("cached answers stopped %v after Redis stopped answering", time.Since(stalled))
}
