package iampg

import (
	"context"
	"errors"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
)

// Batcher is an iam.Batcher whose batches are transactions: one per run of
// events of a consumer group, on the database of that group's consumer.
// Within a batch, HandleOnce for the group's consumer name runs each
// event's effect in the batch's transaction and skips the events the bulk
// look-up at Begin found in processed_events; Commit records the handled
// events in processed_events in one statement and commits, so n events
// cost one commit instead of n.
//
// The guarantees stay HandleOnce's: an event's effect and its
// processed_events row commit together; an event handled concurrently
// elsewhere (a rebalance) makes Commit fail, and the Subscriber then
// handles the events one at a time, where HandleOnce skips it. Effects
// outside the database, and work done through another connection than the
// batch's transaction, are not part of the batch: a handler that reads its
// own store outside Once would not see the batch's uncommitted effects.
type Batcher struct {
	dbs map[string]Beginner
}

// Beginner begins transactions: a *pgxpool.Pool.
type Beginner interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}

var _ iam.Batcher = (*Batcher)(nil)

// NewBatcher returns a Batcher that batches the groups added with Add.
func NewBatcher() *Batcher { return &Batcher{dbs: map[string]Beginner{}} }

// Add batches the events of consumer group group in transactions on db, the
// database whose store records the group's processed events (the group is
// the consumer name its handler gives HandleOnce, by convention). Call it
// before the Batcher is used; it returns b.
func (b *Batcher) Add(group string, db Beginner) *Batcher {
	b.dbs[group] = db
	return b
}

// Begin is iam.Batcher: it begins a transaction on group's database and
// looks up which of the events were handled before. Groups not added get
// no batch (nil, nil).
func (b *Batcher) Begin(ctx context.Context, group string, eventIDs []string) (context.Context, iam.Batch, error) {
	const op = "iampg.Batcher"
	db, ok := b.dbs[group]
	if !ok {
		return ctx, nil, nil
	}
	ids := make([]uuid.UUID, 0, len(eventIDs))
	for _, s := range eventIDs {
		if id, err := uuid.Parse(s); err == nil {
			ids = append(ids, id) // an invalid id fails in HandleOnce
		}
	}
	tx, err := db.Begin(ctx)
	if err != nil {
		return ctx, nil, MapError(op+": begin", err)
	}
	bt := &batch{tx: tx, consumer: group, done: map[uuid.UUID]bool{}}
	rows, err := tx.Query(ctx, `SELECT event_id FROM processed_events WHERE consumer = $1 AND event_id = ANY($2::uuid[])`, group, ids)
	if err == nil {
		for rows.Next() {
			var id uuid.UUID
			if err = rows.Scan(&id); err != nil {
				break
			}
			bt.done[id] = true
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		bt.Abort(ctx)
		return ctx, nil, MapError(op+": look up processed events", err)
	}
	return iam.WithBatch(ctx, bt), bt, nil
}

// batch is one transaction of a Batcher.
type batch struct {
	tx       pgx.Tx
	consumer string

	mu      sync.Mutex
	done    map[uuid.UUID]bool // handled before, or in this batch
	handled []uuid.UUID        // handled in this batch, to record
	err     error              // the first failure: the batch cannot commit
	after   []func()
	ended   bool
}

var _ iam.Batch = (*batch)(nil)

// handle runs fn for event id in the batch's transaction unless the event
// was handled before.
func (b *batch) handle(id uuid.UUID, fn func(pgx.Tx) error) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.ended:
		return &iam.Error{Code: iam.CodeInternal, Op: "iampg.HandleOnce", Message: "batch already ended"}
	case b.err != nil:
		return b.err
	case b.done[id]:
		return nil
	}
	var rolledBack bool
	err := fn(&flatTx{Tx: b.tx, rolledBack: &rolledBack})
	if err == nil && rolledBack {
		err = errNestedRollback
	}
	if err != nil {
		b.err = MapError("iampg.HandleOnce", err)
		return b.err
	}
	b.done[id] = true
	b.handled = append(b.handled, id)
	return nil
}

// errConcurrent fails a batch whose events were handled elsewhere meanwhile.
var errConcurrent = errors.New("events of the batch were handled concurrently")

// Commit is iam.Batch: it records the handled events and commits, then runs
// the AfterCommit functions.
func (b *batch) Commit(ctx context.Context) error {
	const op = "iampg.Batch.Commit"
	b.mu.Lock()
	if b.ended {
		b.mu.Unlock()
		return &iam.Error{Code: iam.CodeInternal, Op: op, Message: "batch already ended"}
	}
	b.ended = true
	failed, handled, after := b.err, b.handled, b.after
	b.mu.Unlock()
	if failed != nil {
		b.rollback(ctx)
		return failed
	}
	if len(handled) > 0 {
		tag, err := b.tx.Exec(ctx, `INSERT INTO processed_events (consumer, event_id)
			SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`, b.consumer, handled)
		if err != nil {
			b.rollback(ctx)
			return MapError(op, err)
		}
		if tag.RowsAffected() != int64(len(handled)) {
			b.rollback(ctx)
			return &iam.Error{Code: iam.CodeConflict, Op: op, Message: "events of the batch were handled concurrently", Err: errConcurrent}
		}
	}
	if err := b.tx.Commit(ctx); err != nil {
		b.rollback(ctx)
		return MapError(op, err)
	}
	for _, fn := range after {
		fn()
	}
	return nil
}

// Abort is iam.Batch: it rolls the transaction back.
func (b *batch) Abort(ctx context.Context) {
	b.mu.Lock()
	b.ended = true
	b.mu.Unlock()
	b.rollback(ctx)
}

// AfterCommit is iam.Batch.
func (b *batch) AfterCommit(fn func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.after = append(b.after, fn)
}

func (b *batch) rollback(ctx context.Context) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	_ = b.tx.Rollback(rctx)
}

// errNestedRollback fails a batch in which a handler rolled back a nested
// transaction: without a savepoint, its statements cannot be undone alone.
var errNestedRollback = errors.New("a nested transaction was rolled back in a batch")

// flatTx is the batch's transaction as handlers see it. A nested Begin (a
// store's WithTx inside Once) starts no savepoint — that would cost two
// round trips per store call — but a flat nested transaction: its Commit
// does nothing, and its Rollback fails the whole batch, which the
// Subscriber then handles again one event at a time, where nested
// transactions are savepoints. A batch is only ever a faster way to the
// same outcome.
type flatTx struct {
	pgx.Tx
	rolledBack *bool // shared by the transactions of one handle call
	ended      bool
}

// Begin starts a flat nested transaction.
func (t *flatTx) Begin(context.Context) (pgx.Tx, error) {
	return &flatTx{Tx: t.Tx, rolledBack: t.rolledBack}, nil
}

// Commit ends the nested transaction; its statements commit with the batch.
func (t *flatTx) Commit(context.Context) error {
	if t.ended {
		return pgx.ErrTxClosed
	}
	t.ended = true
	return nil
}

// Rollback ends the nested transaction and fails the batch.
func (t *flatTx) Rollback(context.Context) error {
	if t.ended {
		return pgx.ErrTxClosed
	}
	t.ended = true
	*t.rolledBack = true
	return nil
}
