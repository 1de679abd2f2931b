package iampg_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestWithTx(t *testing.T) {
	ctx := context.Background()
	pool := iamtest.Postgres(t)
	if _, err := pool.Exec(ctx, `
		CREATE TABLE items (id int PRIMARY KEY);
		CREATE TABLE deferred (x int UNIQUE DEFERRABLE INITIALLY DEFERRED)`); err != nil {
		t.Fatal(err)
	}
	count := func(id int) int {
		return queryInt(t, pool, "SELECT count(*) FROM items WHERE id = $1", id)
	}
	insert := func(id int) func(pgx.Tx) error {
		return func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO items VALUES ($1)", id)
			return err
		}
	}
	noConnLeft := func(t *testing.T) {
		t.Helper()
		if n := pool.Stat().AcquiredConns(); n != 0 {
			t.Fatalf("%d connections still acquired", n)
		}
	}

	t.Run("CommitsWhenFnReturnsNil", func(t *testing.T) {
		if err := iampg.WithTx(ctx, pool, insert(1)); err != nil {
			t.Fatal(err)
		}
		if count(1) != 1 {
			t.Fatal("row not committed")
		}
		noConnLeft(t)
	})

	t.Run("RollsBackAndReturnsFnsIamErrorUnchanged", func(t *testing.T) {
		want := iam.Invalidf("name", "bad name")
		err := iampg.WithTx(ctx, pool, func(tx pgx.Tx) error {
			if err := insert(2)(tx); err != nil {
				return err
			}
			return want
		})
		if err != want {
			t.Fatalf("err = %v, want the fn's error unchanged", err)
		}
		if count(2) != 0 {
			t.Fatal("row of a failed transaction was committed")
		}
		noConnLeft(t)
	})

	t.Run("MapsRawDatabaseErrorsFromFn", func(t *testing.T) {
		err := iampg.WithTx(ctx, pool, insert(1)) // duplicate of the first subtest
		if !errors.Is(err, iam.ErrConflict) {
			t.Fatalf("err = %v, want conflict", err)
		}
		noConnLeft(t)
	})

	t.Run("RollsBackAndRepanicsOnPanic", func(t *testing.T) {
		var recovered any
		func() {
			defer func() { recovered = recover() }()
			_ = iampg.WithTx(ctx, pool, func(tx pgx.Tx) error {
				if err := insert(3)(tx); err != nil {
					return err
				}
				panic("boom")
			})
		}()
		if recovered != "boom" {
			t.Fatalf("recovered %v, want the fn's panic", recovered)
		}
		if count(3) != 0 {
			t.Fatal("row of a panicking transaction was committed")
		}
		noConnLeft(t)
	})

	t.Run("RollsBackWhenCtxEndsInsideFn", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		err := iampg.WithTx(cctx, pool, func(tx pgx.Tx) error {
			if err := insert(4)(tx); err != nil {
				return err
			}
			cancel()
			_, err := tx.Exec(cctx, "SELECT 1")
			return err
		})
		if !errors.Is(err, iam.ErrUnavailable) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want unavailable caused by context.Canceled", err)
		}
		if count(4) != 0 {
			t.Fatal("row committed after ctx ended")
		}
		noConnLeft(t)
	})

	t.Run("MapsCommitFailure", func(t *testing.T) {
		err := iampg.WithTx(ctx, pool, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO deferred VALUES (1), (1)") // checked at commit
			return err
		})
		if !errors.Is(err, iam.ErrConflict) {
			t.Fatalf("err = %v, want conflict from the deferred unique check", err)
		}
		noConnLeft(t)
	})

	t.Run("NestsAsSavepointOnATx", func(t *testing.T) {
		err := iampg.WithTx(ctx, pool, func(tx pgx.Tx) error {
			if err := insert(5)(tx); err != nil {
				return err
			}
			inner := iampg.WithTx(ctx, tx, func(tx pgx.Tx) error {
				if err := insert(6)(tx); err != nil {
					return err
				}
				return iam.Conflictf("inner fails")
			})
			if !errors.Is(inner, iam.ErrConflict) {
				t.Errorf("inner err = %v, want conflict", inner)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if count(5) != 1 || count(6) != 0 {
			t.Fatalf("outer row count %d (want 1), inner row count %d (want 0)", count(5), count(6))
		}
		noConnLeft(t)
	})

	t.Run("BeginFailureIsUnavailable", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		called := false
		err := iampg.WithTx(cctx, pool, func(pgx.Tx) error { called = true; return nil })
		if !errors.Is(err, iam.ErrUnavailable) || called {
			t.Fatalf("err = %v, fn called %v; want unavailable without calling fn", err, called)
		}
	})
}
