package iampg_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iampg"
)

func sealer(t *testing.T, key []byte, previous ...[]byte) *iamcrypto.Sealer {
	t.Helper()
	s, err := iamcrypto.NewSealer(key, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func wantMismatch(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, iampg.ErrSealingKeyMismatch) {
		t.Fatalf("err = %v, want ErrSealingKeyMismatch", err)
	}
}

func TestCheckSealingKey(t *testing.T) {
	ctx := context.Background()
	oldKey, newKey := iamcrypto.GenerateKey(), iamcrypto.GenerateKey()

	t.Run("FirstStartRecordsTheKeyAndLaterStartsMatch", func(t *testing.T) {
		pool := migratedPool(t)
		if err := iampg.CheckSealingKey(ctx, pool, sealer(t, oldKey)); err != nil {
			t.Fatal(err)
		}
		if err := iampg.CheckSealingKey(ctx, pool, sealer(t, oldKey)); err != nil {
			t.Fatalf("second start: %v", err)
		}
		if err := iampg.SealingKeyCheck(pool, sealer(t, oldKey))(ctx); err != nil {
			t.Fatalf("readiness: %v", err)
		}
	})
	t.Run("WrongKeyIsRefusedAndChangesNothing", func(t *testing.T) {
		pool := migratedPool(t)
		if err := iampg.CheckSealingKey(ctx, pool, sealer(t, oldKey)); err != nil {
			t.Fatal(err)
		}
		wrong := sealer(t, iamcrypto.GenerateKey())
		wantMismatch(t, iampg.CheckSealingKey(ctx, pool, wrong))
		wantMismatch(t, iampg.SealingKeyCheck(pool, wrong)(ctx))
		// An unrelated previous key does not help either.
		wantMismatch(t, iampg.CheckSealingKey(ctx, pool, sealer(t, iamcrypto.GenerateKey(), iamcrypto.GenerateKey())))
		if err := iampg.CheckSealingKey(ctx, pool, sealer(t, oldKey)); err != nil {
			t.Fatalf("the right key after refusals: %v", err)
		}
	})
	t.Run("RotationResealsTheCheckValue", func(t *testing.T) {
		pool := migratedPool(t)
		if err := iampg.CheckSealingKey(ctx, pool, sealer(t, oldKey)); err != nil {
			t.Fatal(err)
		}
		// The new key alone is refused: nothing proves it replaces the old.
		wantMismatch(t, iampg.CheckSealingKey(ctx, pool, sealer(t, newKey)))
		if err := iampg.CheckSealingKey(ctx, pool, sealer(t, newKey, oldKey)); err != nil {
			t.Fatalf("rotation: %v", err)
		}
		// From now on the new key matches on its own, and a process still
		// on the old key is refused and not ready.
		if err := iampg.CheckSealingKey(ctx, pool, sealer(t, newKey)); err != nil {
			t.Fatalf("new key after the rotation: %v", err)
		}
		wantMismatch(t, iampg.CheckSealingKey(ctx, pool, sealer(t, oldKey)))
		wantMismatch(t, iampg.SealingKeyCheck(pool, sealer(t, oldKey))(ctx))
	})
	t.Run("RacingFirstStartsWithDifferentKeysOneWins", func(t *testing.T) {
		pool := migratedPool(t)
		keys := [][]byte{oldKey, newKey, iamcrypto.GenerateKey(), iamcrypto.GenerateKey()}
		errs := make([]error, len(keys))
		var wg sync.WaitGroup
		for i, k := range keys {
			wg.Go(func() { errs[i] = iampg.CheckSealingKey(ctx, pool, sealer(t, k)) })
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, iampg.ErrSealingKeyMismatch):
				t.Fatalf("err = %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d of %d processes with different keys started", ok, len(keys))
		}
	})
	t.Run("ReadinessBeforeAnyCheckValueFails", func(t *testing.T) {
		pool := migratedPool(t)
		if err := iampg.SealingKeyCheck(pool, sealer(t, oldKey))(ctx); err == nil {
			t.Fatal("ready without a check value")
		}
	})
}
