package iampg

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
)

// HandleOnce makes an event's effect happen once per consumer although the
// bus delivers at least once. In one transaction on db it records
// (consumer, e.ID) in processed_events and runs fn; if the row already
// exists, the event was handled before, and HandleOnce skips fn and returns
// nil. fn's error rolls both back, so a redelivery runs fn again.
//
// Concurrent deliveries of one event wait for each other: the second sees the
// first's row once it commits and skips. fn must do all its work through tx;
// effects outside the database (an email sent) are not covered.
//
// consumer names the consumer (its group, e.g. "users") and must be
// non-empty; e.ID must be a UUID (CodeInvalid otherwise). Errors are mapped
// with MapError; fn's *iam.Error is returned unchanged.
//
// Within a batch of a Batcher for consumer (ctx from Batcher.Begin), fn
// runs in the batch's transaction instead, and (consumer, e.ID) is recorded
// when the batch commits; an event the batch found handled before is
// skipped. db is then not used: the batch's database must be db's.
func HandleOnce(ctx context.Context, db DB, consumer string, e iam.Event, fn func(pgx.Tx) error) error {
	const op = "iampg.HandleOnce"
	if consumer == "" {
		return &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "consumer", Message: "consumer name is required"}
	}
	id, err := uuid.Parse(e.ID)
	if err != nil {
		return &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "id", Message: "event id must be a UUID", Err: err}
	}
	if b, ok := iam.BatchFrom(ctx).(*batch); ok && b.consumer == consumer {
		return b.handle(id, fn)
	}
	return WithTx(ctx, db, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx,
			`INSERT INTO processed_events (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
			consumer, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil // handled before
		}
		return fn(tx)
	})
}

// OnceHandler returns an iam.Handler that handles each event with fn through
// HandleOnce, so subscribing it to any bus gives exactly-once effects in db:
//
//	bus.Subscribe(ctx, "users", []string{iam.TopicRealmDeleted},
//		iampg.OnceHandler(pool, "users", s.onRealmDeleted))
func OnceHandler(db DB, consumer string, fn func(ctx context.Context, tx pgx.Tx, e iam.Event) error) iam.Handler {
	return func(ctx context.Context, e iam.Event) error {
		return HandleOnce(ctx, db, consumer, e, func(tx pgx.Tx) error {
			return fn(ctx, tx, e)
		})
	}
}

// PruneProcessed deletes processed_events rows older than olderThan and
// returns how many it deleted. Keep them longer than the bus can redeliver
// an event (Kafka's retention), or a late duplicate takes effect again.
func PruneProcessed(ctx context.Context, db DB, olderThan time.Duration) (int64, error) {
	tag, err := db.Exec(ctx,
		`DELETE FROM processed_events WHERE processed_at < now() - $1 * interval '1 second'`,
		olderThan.Seconds())
	if err != nil {
		return 0, MapError("iampg.PruneProcessed", err)
	}
	return tag.RowsAffected(), nil
}
