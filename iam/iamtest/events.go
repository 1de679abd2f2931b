package iamtest

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
)

// Recorder is an iam.Publisher that keeps what it is given: the events a
// memory store published, for a conformance suite's Harness.Events. It is
// safe for concurrent use.
type Recorder struct {
	mu     sync.Mutex
	events []iam.Event
}

var _ iam.Publisher = (*Recorder)(nil)

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{} }

// Publish records events.
func (r *Recorder) Publish(_ context.Context, events ...iam.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	return nil
}

// Events returns the events recorded so far, in order.
func (r *Recorder) Events(*testing.T) []iam.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]iam.Event{}, r.events...)
}

// Outbox returns a function reading the events written to pool's outbox
// (iampg.Write), oldest first: what a PostgreSQL store recorded, for a
// conformance suite's Harness.Events.
func Outbox(pool *pgxpool.Pool) func(t *testing.T) []iam.Event {
	return func(t *testing.T) []iam.Event {
		t.Helper()
		rows, err := pool.Query(context.Background(), `SELECT payload FROM outbox ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var events []iam.Event
		for rows.Next() {
			var raw []byte
			if err := rows.Scan(&raw); err != nil {
				t.Fatal(err)
			}
			var e iam.Event
			if err := json.Unmarshal(raw, &e); err != nil {
				t.Fatal(err)
			}
			events = append(events, e)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return events
	}
}
