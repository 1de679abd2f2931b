package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// storedKeys counts the keys the store holds for realm.
func (e *env) storedKeys(realm iam.Realm) int {
	e.t.Helper()
	keys, err := e.keys.ListKeys(context.Background(), realm)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(keys)
}

// Review finding 10.13: 1,000 rotations left 1,000 keys in the JWKS (158 KB)
// and in every reload. Requested rotations stop at MaxRetiredKeys retired
// keys in use, with a retry hint for when the oldest expires; tokens signed
// by every kept key stay valid.
func TestRotationIsRateLimitedByTheRetiredKeyCap(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, auth.WithMaxTokenLifespan(time.Hour))
	first := e.passwordLogin("").AccessToken
	for i := 0; i < auth.MaxRetiredKeys; i++ {
		if _, err := e.svc.RotateKey(ctx, "acme"); err != nil {
			t.Fatalf("rotation %d: %v", i+1, err)
		}
		e.clock.Advance(20 * time.Second) // the first token (5 minutes) stays valid
	}
	_, err := e.svc.RotateKey(ctx, "acme")
	if iam.ErrorCode(err) != iam.CodeRateLimited {
		t.Fatalf("rotation beyond the cap: %v, want rate_limited", err)
	}
	// The first key was retired at the first rotation, an hour of
	// retention before it expires; MaxRetiredKeys × 20 s have passed.
	if want := time.Hour - auth.MaxRetiredKeys*20*time.Second; iam.RetryAfter(err) != want {
		t.Fatalf("retry after %v, want %v", iam.RetryAfter(err), want)
	}
	if n := len(e.jwks("acme").Keys); n != auth.MaxRetiredKeys+1 {
		t.Fatalf("JWKS has %d keys, want %d", n, auth.MaxRetiredKeys+1)
	}
	if !e.introspect(first).Active {
		t.Fatal("a token of the oldest kept key is no longer valid")
	}
	e.clock.Advance(iam.RetryAfter(err) + time.Second)
	if _, err := e.svc.RotateKey(ctx, "acme"); err != nil {
		t.Fatalf("rotation once a retired key expired: %v", err)
	}
	if n := len(e.jwks("acme").Keys); n != auth.MaxRetiredKeys+1 {
		t.Fatalf("JWKS has %d keys after the next rotation, want %d", n, auth.MaxRetiredKeys+1)
	}
	if e.storedKeys("acme") != auth.MaxRetiredKeys+1 {
		t.Fatalf("store keeps %d keys", e.storedKeys("acme"))
	}
}

// Rotations that cannot wait — a rotation schedule shorter than the token
// lifespan, algorithm changes — proceed, and the realm still keeps at most
// MaxRetiredKeys retired keys: the oldest are dropped from the JWKS and the
// store.
func TestForcedRotationsKeepAtMostTheCap(t *testing.T) {
	t.Run("Schedule", func(t *testing.T) {
		e := newEnv(t, auth.WithMaxTokenLifespan(time.Hour), auth.WithKeyRotation(time.Minute))
		for i := 0; i < 3*auth.MaxRetiredKeys; i++ {
			e.passwordLogin("")
			e.clock.Advance(time.Minute + time.Second)
		}
		latest := e.passwordLogin("").AccessToken
		if n := len(e.jwks("acme").Keys); n != auth.MaxRetiredKeys+1 {
			t.Fatalf("JWKS has %d keys, want %d", n, auth.MaxRetiredKeys+1)
		}
		if n := e.storedKeys("acme"); n != auth.MaxRetiredKeys+1 {
			t.Fatalf("store keeps %d keys, want %d", n, auth.MaxRetiredKeys+1)
		}
		if !e.introspect(latest).Active {
			t.Fatal("the newest token is not valid")
		}
	})
	t.Run("AlgorithmChanges", func(t *testing.T) {
		e := newEnv(t, auth.WithMaxTokenLifespan(time.Hour))
		r, _ := e.dir.Realms().Get(context.Background(), "acme")
		for i := 0; i < 3*auth.MaxRetiredKeys; i++ {
			r.SigningAlgorithm = []string{realms.AlgES256, realms.AlgEdDSA}[i%2]
			e.dir.PutRealm(r)
			e.passwordLogin("")
			e.clock.Advance(time.Second)
		}
		if n := len(e.jwks("acme").Keys); n != auth.MaxRetiredKeys+1 {
			t.Fatalf("JWKS has %d keys, want %d", n, auth.MaxRetiredKeys+1)
		}
	})
}

// A store filled before the cap (the review's 1,000 rotations) is trimmed on
// the next load: the JWKS shows the active key and the newest retired ones.
func TestRetiredKeysBeyondTheCapArePruned(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, auth.WithMaxTokenLifespan(time.Hour))
	prev := ""
	for i := 0; i < 3*auth.MaxRetiredKeys; i++ {
		k, err := auth.GenerateKey("acme", realms.AlgES256, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := e.keys.ActivateKey(ctx, k, prev, e.clock.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		prev = k.ID
		e.clock.Advance(time.Second)
	}
	set := e.jwks("acme")
	if len(set.Keys) != auth.MaxRetiredKeys+1 || set.Keys[0].Kid != prev {
		t.Fatalf("JWKS has %d keys (first %s), want %d starting with the active %s",
			len(set.Keys), set.Keys[0].Kid, auth.MaxRetiredKeys+1, prev)
	}
	if n := e.storedKeys("acme"); n != auth.MaxRetiredKeys+1 {
		t.Fatalf("store keeps %d keys, want %d", n, auth.MaxRetiredKeys+1)
	}
}

// blockingKeys is a KeyStore whose ListKeys of one realm waits until
// released, after saying it has started.
type blockingKeys struct {
	auth.KeyStore
	realm   iam.Realm
	started chan struct{}
	release chan struct{}
}

func (b *blockingKeys) ListKeys(ctx context.Context, realm iam.Realm) ([]auth.Key, error) {
	if realm == b.realm {
		b.started <- struct{}{}
		<-b.release
	}
	return b.KeyStore.ListKeys(ctx, realm)
}

// Loading one realm's keys (a slow store, many keys to decrypt) does not hold
// up another realm's: the lock is per realm.
func TestKeyLoadsOfOneRealmDoNotWaitForAnother(t *testing.T) {
	e := newEnv(t)
	slow := &blockingKeys{KeyStore: e.keys, realm: "acme", started: make(chan struct{}, 1), release: make(chan struct{})}
	svc, err := e.dir.NewService(issuerBase, slow, e.tokens, auth.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := svc.JWKS(context.Background(), "acme"); done <- err }()
	<-slow.started
	if _, err := svc.JWKS(context.Background(), "other"); err != nil { // would wait forever behind acme
		t.Fatal(err)
	}
	close(slow.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
