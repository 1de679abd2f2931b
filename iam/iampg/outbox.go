package iampg

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
)

// OutboxChannel is the PostgreSQL notification channel Write notifies and
// Relay listens on.
const OutboxChannel = "opengate_outbox"

// Write adds events to the outbox in the caller's transaction tx, so they
// are published if and only if tx commits, and notifies OutboxChannel (which
// PostgreSQL delivers on commit only). Write with no events does nothing.
//
// Each event needs a UUID ID (iam.NewEvent makes one), a Type (the topic) and
// a valid Realm; otherwise Write returns CodeInvalid and writes nothing. An ID
// already in the outbox is a conflict. The event is stored as its CloudEvents
// JSON and published unchanged, keyed by e.Key().
//
// The notification makes relays publish at once instead of at their next
// poll. PostgreSQL serializes the commits of notifying transactions on a
// global lock, which matters only at thousands of commits per second.
func Write(ctx context.Context, tx pgx.Tx, events ...iam.Event) error {
	const op = "iampg.Write"
	if len(events) == 0 {
		return nil
	}
	rows, err := NewOutboxRows(ctx, events...)
	if err != nil {
		return iam.Wrap(op, err)
	}
	// One round trip: a data-modifying CTE always runs, and pg_notify (the
	// function form of NOTIFY) fires once, at commit.
	_, err = tx.Exec(ctx, `
		WITH inserted AS (
			INSERT INTO outbox (event_id, topic, realm_name, key, payload)
			SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::jsonb[])
			RETURNING 1
		)
		SELECT pg_notify('`+OutboxChannel+`', '')`,
		rows.EventIDs, rows.Topics, rows.Realms, rows.Keys, rows.Payloads)
	return MapError(op, err)
}

// OutboxRows holds events as the outbox's columns, for a store statement
// that writes them itself, as a data-modifying CTE beside the change they
// describe, so that the change and its events cost one round trip instead
// of two (a consumer's effect inside a batch). Such a statement inserts
// them as Write does, and notifies OutboxChannel the same way:
//
//	written AS (
//		INSERT INTO outbox (event_id, topic, realm_name, key, payload)
//		SELECT * FROM unnest(@event_ids::uuid[], @topics::text[], @realms::text[], @keys::text[], @payloads::jsonb[])
//	)
//	SELECT ..., pg_notify(@channel::text, '') -- OutboxChannel
//
// It may write them only when its change happens (WHERE EXISTS on the
// change's CTE); it must be one statement in the caller's transaction, so
// that the events commit if and only if the change does.
type OutboxRows struct {
	EventIDs []uuid.UUID
	Topics   []string
	Realms   []string
	Keys     []string
	Payloads [][]byte // each event's CloudEvents JSON
}

// NewOutboxRows returns events as outbox rows, stamped with ctx's trace
// context as Write stamps them, after Write's checks: each event needs a
// UUID ID, a Type and a valid Realm (CodeInvalid otherwise).
func NewOutboxRows(ctx context.Context, events ...iam.Event) (OutboxRows, error) {
	const op = "iampg.NewOutboxRows"
	events = iam.StampTrace(ctx, events)
	rows := OutboxRows{
		EventIDs: make([]uuid.UUID, len(events)),
		Topics:   make([]string, len(events)),
		Realms:   make([]string, len(events)),
		Keys:     make([]string, len(events)),
		Payloads: make([][]byte, len(events)),
	}
	for i, e := range events {
		id, err := uuid.Parse(e.ID)
		if err != nil {
			return OutboxRows{}, &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "id", Message: "event id must be a UUID", Err: err}
		}
		if e.Type == "" {
			return OutboxRows{}, &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "type", Message: "event type (topic) is required"}
		}
		if err := e.Realm.Validate(); err != nil {
			return OutboxRows{}, iam.Wrap(op, err)
		}
		payload, err := json.Marshal(e)
		if err != nil {
			return OutboxRows{}, &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "data", Message: "event data is not valid JSON", Err: err}
		}
		rows.EventIDs[i], rows.Topics[i], rows.Realms[i], rows.Keys[i], rows.Payloads[i] = id, e.Type, string(e.Realm), e.Key(), payload
	}
	return rows, nil
}

// PruneOutbox deletes outbox rows sent more than olderThan ago and returns how
// many it deleted. Unsent rows are never deleted. A Relay prunes on its own
// (WithRetention); this is for deployments that prune from a job instead.
func PruneOutbox(ctx context.Context, db DB, olderThan time.Duration) (int64, error) {
	tag, err := db.Exec(ctx,
		`DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < now() - $1 * interval '1 second'`,
		olderThan.Seconds())
	if err != nil {
		return 0, MapError("iampg.PruneOutbox", err)
	}
	return tag.RowsAffected(), nil
}

// OutboxState is how far a database's outbox is behind.
type OutboxState struct {
	// Unsent is how many events wait to be published.
	Unsent int64
	// Oldest is when the oldest of them was written; zero when none waits.
	Oldest time.Time
}

// OutboxStats returns the state of db's outbox, for metrics: a growing
// Unsent or an old Oldest means the relays do not keep up or cannot
// publish.
func OutboxStats(ctx context.Context, db DB) (OutboxState, error) {
	var s OutboxState
	var oldest *time.Time
	err := db.QueryRow(ctx, `SELECT
		(SELECT count(*) FROM outbox WHERE sent_at IS NULL),
		(SELECT created_at FROM outbox WHERE sent_at IS NULL ORDER BY id LIMIT 1)`).Scan(&s.Unsent, &oldest)
	if err != nil {
		return OutboxState{}, MapError("iampg.OutboxStats", err)
	}
	if oldest != nil {
		s.Oldest = *oldest
	}
	return s, nil
}
