package iampg_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
)

func TestHandleOnce(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	if _, err := pool.Exec(ctx, "CREATE TABLE effects (consumer text NOT NULL, event_id text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	effects := func(consumer string, e iam.Event) int {
		return queryInt(t, pool, "SELECT count(*) FROM effects WHERE consumer = $1 AND event_id = $2", consumer, e.ID)
	}
	apply := func(consumer string, e iam.Event) func(pgx.Tx) error {
		return func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO effects VALUES ($1, $2)", consumer, e.ID)
			return err
		}
	}

	t.Run("DuplicateDeliveriesTakeEffectOnce", func(t *testing.T) {
		e := newEvent(t, "user-1", nil)
		calls := 0
		for range 3 {
			err := iampg.HandleOnce(ctx, pool, "c", e, func(tx pgx.Tx) error {
				calls++
				return apply("c", e)(tx)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if calls != 1 || effects("c", e) != 1 {
			t.Fatalf("fn called %d times, effect applied %d times; want once", calls, effects("c", e))
		}
	})

	t.Run("FailedHandlingIsRolledBackAndRunsAgain", func(t *testing.T) {
		e := newEvent(t, "user-2", nil)
		want := iam.Errorf(iam.CodeUnavailable, "downstream busy")
		err := iampg.HandleOnce(ctx, pool, "c", e, func(tx pgx.Tx) error {
			if err := apply("c", e)(tx); err != nil {
				return err
			}
			return want
		})
		if err != want {
			t.Fatalf("err = %v, want fn's error unchanged", err)
		}
		if effects("c", e) != 0 {
			t.Fatal("effect of a failed handling was committed")
		}
		if err := iampg.HandleOnce(ctx, pool, "c", e, apply("c", e)); err != nil {
			t.Fatal(err)
		}
		if effects("c", e) != 1 {
			t.Fatal("redelivery did not take effect")
		}
	})

	t.Run("EachConsumerHandlesTheEvent", func(t *testing.T) {
		e := newEvent(t, "user-3", nil)
		for _, c := range []string{"notify", "rbac"} {
			if err := iampg.HandleOnce(ctx, pool, c, e, apply(c, e)); err != nil {
				t.Fatal(err)
			}
			if effects(c, e) != 1 {
				t.Fatalf("consumer %s did not handle the event", c)
			}
		}
	})

	t.Run("ConcurrentDeliveriesTakeEffectOnce", func(t *testing.T) {
		e := newEvent(t, "user-4", nil)
		var wg sync.WaitGroup
		errs := make(chan error, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- iampg.HandleOnce(ctx, pool, "c", e, apply("c", e))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if n := effects("c", e); n != 1 {
			t.Fatalf("effect applied %d times, want once", n)
		}
	})

	t.Run("BadInputIsInvalid", func(t *testing.T) {
		bad := newEvent(t, "user-5", nil)
		bad.ID = "42"
		called := false
		fn := func(pgx.Tx) error { called = true; return nil }
		if err := iampg.HandleOnce(ctx, pool, "c", bad, fn); !errors.Is(err, iam.ErrInvalid) {
			t.Errorf("bad id: err = %v, want invalid", err)
		}
		if err := iampg.HandleOnce(ctx, pool, "", newEvent(t, "user-6", nil), fn); !errors.Is(err, iam.ErrInvalid) {
			t.Errorf("no consumer: err = %v, want invalid", err)
		}
		if called {
			t.Error("fn ran for bad input")
		}
	})

	t.Run("OnceHandlerDeduplicatesForAnyBus", func(t *testing.T) {
		e := newEvent(t, "user-7", nil)
		var seen []iam.Event
		h := iampg.OnceHandler(pool, "h", func(ctx context.Context, tx pgx.Tx, got iam.Event) error {
			seen = append(seen, got)
			return apply("h", got)(tx)
		})
		for range 2 {
			if err := h(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if len(seen) != 1 || seen[0].ID != e.ID || effects("h", e) != 1 {
			t.Fatalf("handler saw %d events, effect applied %d times; want once", len(seen), effects("h", e))
		}
	})
}

func TestPruneProcessed(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	old, recent := newEvent(t, "a", nil), newEvent(t, "b", nil)
	for _, e := range []iam.Event{old, recent} {
		if err := iampg.HandleOnce(ctx, pool, "c", e, func(pgx.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE processed_events SET processed_at = now() - interval '40 days' WHERE event_id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}
	n, err := iampg.PruneProcessed(ctx, pool, 30*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("PruneProcessed = %d, %v; want 1 row", n, err)
	}
	if queryInt(t, pool, "SELECT count(*) FROM processed_events WHERE event_id = $1", recent.ID) != 1 {
		t.Fatal("a recent row was pruned")
	}
}
