package iampg_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
)

// batchFixture is a migrated database with an effects table, and a
// Batcher for consumer "c" on it.
type batchFixture struct {
	pool    *pgxpool.Pool
	batcher *iampg.Batcher
}

func newBatchFixture(t *testing.T) batchFixture {
	t.Helper()
	pool := migratedPool(t)
	if _, err := pool.Exec(context.Background(), "CREATE TABLE effects (event_id text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	return batchFixture{pool: pool, batcher: iampg.NewBatcher().Add("c", pool)}
}

// handle is a handler as a store's Once runs it: the effect in a nested
// transaction (a store's WithTx inside HandleOnce).
func (f batchFixture) handle(ctx context.Context, e iam.Event) error {
	return iampg.HandleOnce(ctx, f.pool, "c", e, func(tx pgx.Tx) error {
		return iampg.WithTx(ctx, tx, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO effects VALUES ($1)", e.ID)
			return err
		})
	})
}

func (f batchFixture) effects(t *testing.T) int {
	return queryInt(t, f.pool, "SELECT count(*) FROM effects")
}
func (f batchFixture) processed(t *testing.T) int {
	return queryInt(t, f.pool, "SELECT count(*) FROM processed_events WHERE consumer = 'c'")
}

func ids(events []iam.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

func events(t *testing.T, n int) []iam.Event {
	out := make([]iam.Event, n)
	for i := range out {
		out[i] = newEvent(t, "user-1", nil)
	}
	return out
}

func TestBatcher(t *testing.T) {
	ctx := context.Background()
	t.Run("EffectsAndProcessedEventsCommitTogether", func(t *testing.T) {
		f := newBatchFixture(t)
		es := events(t, 5)
		bctx, b, err := f.batcher.Begin(ctx, "c", ids(es))
		if err != nil || b == nil {
			t.Fatalf("Begin = %v, %v", b, err)
		}
		after := 0
		for _, e := range es {
			if err := f.handle(bctx, e); err != nil {
				t.Fatal(err)
			}
			iam.AfterCommit(bctx, func() { after++ })
		}
		if f.effects(t) != 0 || after != 0 {
			t.Fatal("effects visible, or after-commit work run, before the commit")
		}
		if err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if f.effects(t) != 5 || f.processed(t) != 5 || after != 5 {
			t.Fatalf("effects %d, processed %d, after-commit %d; want 5 each", f.effects(t), f.processed(t), after)
		}
	})
	t.Run("EventsHandledBeforeAreSkipped", func(t *testing.T) {
		f := newBatchFixture(t)
		es := events(t, 4)
		for _, e := range es[:2] { // handled one at a time before
			if err := f.handle(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
		bctx, b, err := f.batcher.Begin(ctx, "c", ids(es))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range append(es, es[3]) { // and the last one twice
			if err := f.handle(bctx, e); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if f.effects(t) != 4 || f.processed(t) != 4 {
			t.Fatalf("effects %d, processed %d; want 4 each", f.effects(t), f.processed(t))
		}
	})
	t.Run("AFailingEventFailsTheWholeBatch", func(t *testing.T) {
		f := newBatchFixture(t)
		es := events(t, 3)
		bctx, b, err := f.batcher.Begin(ctx, "c", ids(es))
		if err != nil {
			t.Fatal(err)
		}
		after := false
		iam.AfterCommit(bctx, func() { after = true })
		_ = f.handle(bctx, es[0])
		boom := iam.Errorf(iam.CodeUnavailable, "downstream busy")
		if err := iampg.HandleOnce(bctx, f.pool, "c", es[1], func(pgx.Tx) error { return boom }); err != boom {
			t.Fatalf("HandleOnce = %v, want the handler's error", err)
		}
		if err := f.handle(bctx, es[2]); err == nil {
			t.Fatal("a failed batch went on handling")
		}
		if err := b.Commit(ctx); err == nil {
			t.Fatal("a failed batch committed")
		}
		if f.effects(t) != 0 || f.processed(t) != 0 || after {
			t.Fatalf("effects %d, processed %d, after-commit run %v; want nothing kept", f.effects(t), f.processed(t), after)
		}
	})
	t.Run("ANestedRollbackFailsTheBatch", func(t *testing.T) {
		f := newBatchFixture(t)
		es := events(t, 2)
		bctx, b, err := f.batcher.Begin(ctx, "c", ids(es))
		if err != nil {
			t.Fatal(err)
		}
		// A store call that fails and is rolled back, and a handler that
		// goes on as if nothing happened: without a savepoint, its work
		// cannot be undone alone, so the batch must not commit.
		err = iampg.HandleOnce(bctx, f.pool, "c", es[0], func(tx pgx.Tx) error {
			_ = iampg.WithTx(ctx, tx, func(tx pgx.Tx) error {
				_, _ = tx.Exec(ctx, "INSERT INTO effects VALUES ($1)", es[0].ID)
				return errors.New("changed my mind")
			})
			return nil
		})
		if err == nil {
			t.Fatal("a rolled-back nested transaction went unnoticed")
		}
		if err := b.Commit(ctx); err == nil || f.effects(t) != 0 {
			t.Fatalf("Commit = %v with %d effects; want a failed batch", err, f.effects(t))
		}
	})
	t.Run("EventsHandledConcurrentlyMakeCommitFail", func(t *testing.T) {
		f := newBatchFixture(t)
		es := events(t, 2)
		bctx, b, err := f.batcher.Begin(ctx, "c", ids(es))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range es {
			if err := f.handle(bctx, e); err != nil {
				t.Fatal(err)
			}
		}
		// Another member handles es[1] meanwhile (a rebalance).
		if err := f.handle(ctx, es[1]); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(ctx); iam.ErrorCode(err) != iam.CodeConflict {
			t.Fatalf("Commit = %v, want conflict", err)
		}
		if f.effects(t) != 1 {
			t.Fatalf("%d effects, want only the other member's", f.effects(t))
		}
	})
	t.Run("OtherGroupsAndConsumersAreNotBatched", func(t *testing.T) {
		f := newBatchFixture(t)
		if bctx, b, err := f.batcher.Begin(ctx, "other", nil); b != nil || err != nil || bctx != ctx {
			t.Fatalf("Begin for a group not added = %v, %v", b, err)
		}
		es := events(t, 1)
		bctx, b, err := f.batcher.Begin(ctx, "c", ids(es))
		if err != nil {
			t.Fatal(err)
		}
		defer b.Abort(ctx)
		// Another consumer name in the batch's ctx runs in its own
		// transaction and commits at once.
		if err := iampg.HandleOnce(bctx, f.pool, "d", es[0], func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO effects VALUES ($1)", es[0].ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if f.effects(t) != 1 {
			t.Fatal("a consumer outside the batch did not commit on its own")
		}
	})
}
