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

func keyEmptyRealmHasNoKeys(t *testing.T, h KeyStoreHarness) {
	ctx := context.Background()
	keys, err := h.Store.ListKeys(ctx, "acme")
	if err != nil || len(keys) != 0 {
		t.Fatalf("ListKeys = %v, %v", keys, err)
	}
}

func keyKeysOfEveryAlgorithmRoundTrip(t *testing.T, h KeyStoreHarness) {
	ctx := context.Background()
	now := ms(time.Now())
	s := h.Store
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
}

func keyDeleteRealmKeysDeletesOnlyThatRealm(t *testing.T, h KeyStoreHarness) {
	ctx := context.Background()
	now := ms(time.Now())
	s := h.Store
	for _, realm := range []iam.Realm{"acme", "other"} {
		mustActivate(t, s, mustKey(t, realm, realms.AlgEdDSA, now), "", time.Time{})
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
}

func keyFirstActivationRequiresNoActiveKey(t *testing.T, h KeyStoreHarness) {
	ctx := context.Background()
	now := ms(time.Now())
	s := h.Store
	mustActivate(t, s, mustKey(t, "acme", realms.AlgEdDSA, now), "", time.Time{})
	err := s.ActivateKey(ctx, mustKey(t, "acme", realms.AlgEdDSA, now), "", time.Time{})
	if !errors.Is(err, iam.ErrConflict) {
		t.Fatalf("second first activation: %v", err)
	}
	if err := s.ActivateKey(ctx, mustKey(t, "other", realms.AlgEdDSA, now), "", time.Time{}); err != nil {
		t.Fatalf("another realm is independent: %v", err)
	}
}

func keyRotationRetiresTheReplacedKey(t *testing.T, h KeyStoreHarness) {
	ctx := context.Background()
	now := ms(time.Now())
	s := h.Store
	first := mustKey(t, "acme", realms.AlgEdDSA, now)
	mustActivate(t, s, first, "", time.Time{})
	second := mustKey(t, "acme", realms.AlgES256, now.Add(time.Minute))
	keep := now.Add(25 * time.Hour)
	if err := s.ActivateKey(ctx, second, "wrong-kid", keep); !errors.Is(err, iam.ErrConflict) {
		t.Fatalf("stale precondition: %v", err)
	}
	mustActivate(t, s, second, first.ID, keep)
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
}

func keyDuplicateKidIsAConflict(t *testing.T, h KeyStoreHarness) {
	ctx := context.Background()
	now := ms(time.Now())
	s := h.Store
	k := mustKey(t, "acme", realms.AlgEdDSA, now)
	mustActivate(t, s, k, "", time.Time{})
	if err := s.ActivateKey(ctx, k, k.ID, now.Add(time.Hour)); !errors.Is(err, iam.ErrConflict) {
		t.Fatalf("err = %v", err)
	}
	if got := onlyKey(t, s, "acme"); !got.Active() {
		t.Fatal("a failed activation retired the key")
	}
}

func keyConcurrentFirstActivationsLeaveOneActiveKey(t *testing.T, h KeyStoreHarness) {
	ctx := context.Background()
	now := ms(time.Now())
	s := h.Store
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
}

func keyConcurrentRotationsOfOneKeyLeaveOneActiveKey(t *testing.T, h KeyStoreHarness) {
	ctx := context.Background()
	now := ms(time.Now())
	s := h.Store
	first := mustKey(t, "acme", realms.AlgEdDSA, now)
	mustActivate(t, s, first, "", time.Time{})
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
	if ok != 1 || active(keys) != 1 || len(keys) != 2 {
		t.Fatalf("ok = %d, active = %d, keys = %d", ok, active(keys), len(keys))
	}
}

func keyDeleteExpiredKeysKeepsActiveAndUnexpiredKeys(t *testing.T, h KeyStoreHarness) {
	ctx := context.Background()
	now := ms(time.Now())
	s := h.Store
	a := mustKey(t, "acme", realms.AlgEdDSA, now)
	b := mustKey(t, "acme", realms.AlgEdDSA, now.Add(time.Minute))
	c := mustKey(t, "acme", realms.AlgEdDSA, now.Add(2*time.Minute))
	for _, step := range []struct {
		k        auth.Key
		replaces string
		keep     time.Time
	}{{a, "", time.Time{}}, {b, a.ID, now.Add(time.Hour)}, {c, b.ID, now.Add(3 * time.Hour)}} {
		mustActivate(t, s, step.k, step.replaces, step.keep)
	}
	other := mustKey(t, "other", realms.AlgEdDSA, now)
	mustActivate(t, s, other, "", time.Time{})
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
}

// mustActivate activates k (replacing the key replaces, kept until keep)
// or fails the test.
func mustActivate(t *testing.T, s auth.KeyStore, k auth.Key, replaces string, keep time.Time) {
	t.Helper()
	if err := s.ActivateKey(context.Background(), k, replaces, keep); err != nil {
		t.Fatalf("ActivateKey(%s): %v", k.ID, err)
	}
}

// active counts the active keys among keys.
func active(keys []auth.Key) int {
	n := 0
	for _, k := range keys {
		if k.Active() {
			n++
		}
	}
	return n
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
