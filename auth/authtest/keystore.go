package authtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// RunKeyStore checks the guarantees of auth.KeyStore on stores made by
// newStore (a fresh, empty store per call):
//
//	func TestKeyStore(t *testing.T) {
//		authtest.RunKeyStore(t, func(t *testing.T) auth.KeyStore { return authmem.NewKeyStore() })
//	}
func RunKeyStore(t *testing.T, newStore func(t *testing.T) auth.KeyStore) {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)

	t.Run("EmptyRealmHasNoKeys", func(t *testing.T) {
		keys, err := newStore(t).ListKeys(ctx, "acme")
		if err != nil || len(keys) != 0 {
			t.Fatalf("ListKeys = %v, %v", keys, err)
		}
	})

	t.Run("KeysOfEveryAlgorithmRoundTrip", func(t *testing.T) {
		s := newStore(t)
		for i, alg := range []string{realms.AlgRS256, realms.AlgES256, realms.AlgEdDSA} {
			realm := iam.Realm("r" + string(rune('a'+i)))
			k := mustKey(t, realm, alg, now)
			if err := s.ActivateKey(ctx, k, "", time.Time{}); err != nil {
				t.Fatalf("%s: %v", alg, err)
			}
			got := onlyKey(t, s, realm)
			if got.ID != k.ID || got.Realm != realm || got.Algorithm != alg || !got.CreatedAt.Equal(now) ||
				!got.Active() || !got.ExpiresAt.IsZero() || !samePrivate(got, k) {
				t.Fatalf("%s: got %+v", alg, got)
			}
		}
	})

	t.Run("DeleteRealmKeysDeletesOnlyThatRealm", func(t *testing.T) {
		s := newStore(t)
		for _, realm := range []iam.Realm{"acme", "other"} {
			if err := s.ActivateKey(ctx, mustKey(t, realm, realms.AlgEdDSA, now), "", time.Time{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteRealmKeys(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
		if keys, err := s.ListKeys(ctx, "acme"); err != nil || len(keys) != 0 {
			t.Fatalf("acme keys after delete = %v, %v", keys, err)
		}
		onlyKey(t, s, "other")
		if err := s.DeleteRealmKeys(ctx, "acme"); err != nil {
			t.Fatalf("second delete: %v", err)
		}
		if err := s.ActivateKey(ctx, mustKey(t, "acme", realms.AlgEdDSA, now), "", time.Time{}); err != nil {
			t.Fatalf("a new first key after delete: %v", err)
		}
	})

	t.Run("FirstActivationRequiresNoActiveKey", func(t *testing.T) {
		s := newStore(t)
		if err := s.ActivateKey(ctx, mustKey(t, "acme", realms.AlgEdDSA, now), "", time.Time{}); err != nil {
			t.Fatal(err)
		}
		err := s.ActivateKey(ctx, mustKey(t, "acme", realms.AlgEdDSA, now), "", time.Time{})
		if !errors.Is(err, iam.ErrConflict) {
			t.Fatalf("second first activation: %v", err)
		}
		if err := s.ActivateKey(ctx, mustKey(t, "other", realms.AlgEdDSA, now), "", time.Time{}); err != nil {
			t.Fatalf("another realm is independent: %v", err)
		}
	})

	t.Run("RotationRetiresTheReplacedKey", func(t *testing.T) {
		s := newStore(t)
		first := mustKey(t, "acme", realms.AlgEdDSA, now)
		if err := s.ActivateKey(ctx, first, "", time.Time{}); err != nil {
			t.Fatal(err)
		}
		second := mustKey(t, "acme", realms.AlgES256, now.Add(time.Minute))
		keep := now.Add(25 * time.Hour)
		if err := s.ActivateKey(ctx, second, "wrong-kid", keep); !errors.Is(err, iam.ErrConflict) {
			t.Fatalf("stale precondition: %v", err)
		}
		if err := s.ActivateKey(ctx, second, first.ID, keep); err != nil {
			t.Fatal(err)
		}
		if err := s.ActivateKey(ctx, mustKey(t, "acme", realms.AlgEdDSA, now), first.ID, keep); !errors.Is(err, iam.ErrConflict) {
			t.Fatalf("replacing a retired key: %v", err)
		}
		keys, err := s.ListKeys(ctx, "acme")
		if err != nil || len(keys) != 2 {
			t.Fatalf("ListKeys = %d keys, %v", len(keys), err)
		}
		if keys[0].ID != second.ID || !keys[0].Active() {
			t.Fatalf("newest first: %+v", keys[0])
		}
		if keys[1].ID != first.ID || keys[1].Active() || !keys[1].RetiredAt.Equal(second.CreatedAt) || !keys[1].ExpiresAt.Equal(keep) {
			t.Fatalf("retired key = %+v", keys[1])
		}
	})

	t.Run("DuplicateKidIsAConflict", func(t *testing.T) {
		s := newStore(t)
		k := mustKey(t, "acme", realms.AlgEdDSA, now)
		if err := s.ActivateKey(ctx, k, "", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := s.ActivateKey(ctx, k, k.ID, now.Add(time.Hour)); !errors.Is(err, iam.ErrConflict) {
			t.Fatalf("err = %v", err)
		}
		if got := onlyKey(t, s, "acme"); !got.Active() {
			t.Fatal("a failed activation retired the key")
		}
	})

	t.Run("ConcurrentFirstActivationsLeaveOneActiveKey", func(t *testing.T) {
		s := newStore(t)
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := 0; i < n; i++ {
			k := mustKey(t, "acme", realms.AlgEdDSA, now)
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- s.ActivateKey(ctx, k, "", time.Time{})
			}()
		}
		wg.Wait()
		close(errs)
		ok := 0
		for err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, iam.ErrConflict):
				t.Errorf("unexpected error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d activations succeeded", ok)
		}
		onlyKey(t, s, "acme")
	})

	t.Run("ConcurrentRotationsOfOneKeyLeaveOneActiveKey", func(t *testing.T) {
		s := newStore(t)
		first := mustKey(t, "acme", realms.AlgEdDSA, now)
		if err := s.ActivateKey(ctx, first, "", time.Time{}); err != nil {
			t.Fatal(err)
		}
		const n = 6
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for i := 0; i < n; i++ {
			k := mustKey(t, "acme", realms.AlgEdDSA, now.Add(time.Second))
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.ActivateKey(ctx, k, first.ID, now.Add(time.Hour))
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else if !errors.Is(err, iam.ErrConflict) {
					t.Errorf("unexpected error: %v", err)
				}
			}()
		}
		wg.Wait()
		keys, _ := s.ListKeys(ctx, "acme")
		active := 0
		for _, k := range keys {
			if k.Active() {
				active++
			}
		}
		if ok != 1 || active != 1 || len(keys) != 2 {
			t.Fatalf("ok = %d, active = %d, keys = %d", ok, active, len(keys))
		}
	})

	t.Run("DeleteExpiredKeysKeepsActiveAndUnexpiredKeys", func(t *testing.T) {
		s := newStore(t)
		a := mustKey(t, "acme", realms.AlgEdDSA, now)
		b := mustKey(t, "acme", realms.AlgEdDSA, now.Add(time.Minute))
		c := mustKey(t, "acme", realms.AlgEdDSA, now.Add(2*time.Minute))
		for _, step := range []struct {
			k        auth.Key
			replaces string
			keep     time.Time
		}{{a, "", time.Time{}}, {b, a.ID, now.Add(time.Hour)}, {c, b.ID, now.Add(3 * time.Hour)}} {
			if err := s.ActivateKey(ctx, step.k, step.replaces, step.keep); err != nil {
				t.Fatal(err)
			}
		}
		other := mustKey(t, "other", realms.AlgEdDSA, now)
		if err := s.ActivateKey(ctx, other, "", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteExpiredKeys(ctx, "acme", now.Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		keys, _ := s.ListKeys(ctx, "acme")
		if len(keys) != 2 || keys[0].ID != c.ID || keys[1].ID != b.ID {
			t.Fatalf("kept %d keys", len(keys))
		}
		if err := s.DeleteExpiredKeys(ctx, "acme", now.Add(4*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got := onlyKey(t, s, "acme"); got.ID != c.ID {
			t.Fatal("the active key was deleted")
		}
		onlyKey(t, s, "other")
	})
}

func mustKey(t *testing.T, realm iam.Realm, alg string, at time.Time) auth.Key {
	t.Helper()
	k, err := auth.GenerateKey(realm, alg, at)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func onlyKey(t *testing.T, s auth.KeyStore, realm iam.Realm) auth.Key {
	t.Helper()
	keys, err := s.ListKeys(context.Background(), realm)
	if err != nil || len(keys) != 1 {
		t.Fatalf("ListKeys(%s) = %d keys, %v", realm, len(keys), err)
	}
	return keys[0]
}

// samePrivate reports whether a and b hold the same private key.
func samePrivate(a, b auth.Key) bool {
	switch k := a.Private.(type) {
	case *rsa.PrivateKey:
		return k.Equal(b.Private)
	case *ecdsa.PrivateKey:
		return k.Equal(b.Private)
	case ed25519.PrivateKey:
		return k.Equal(b.Private)
	}
	return false
}
