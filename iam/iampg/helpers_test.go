package iampg_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// migratedPool returns a pool on a fresh database with the shared tables.
func migratedPool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := iamtest.Postgres(t)
	if err := iampg.MigrateShared(context.Background(), pool); err != nil {
		t.Fatalf("MigrateShared: %v", err)
	}
	return pool
}

// newEvent returns a user.created event about subject in realm "acme".
func newEvent(t testing.TB, subject string, data any) iam.Event {
	t.Helper()
	e, err := iam.NewEvent("/opengate/test", iam.TopicUserCreated, "acme", subject, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// write commits events to the outbox in one transaction.
func write(t testing.TB, pool *pgxpool.Pool, events ...iam.Event) {
	t.Helper()
	err := iampg.WithTx(context.Background(), pool, func(tx pgx.Tx) error {
		return iampg.Write(context.Background(), tx, events...)
	})
	if err != nil {
		t.Fatalf("write: %v", err)
	}
}

// delivery is one event as a publisher received it.
type delivery struct {
	relay string
	event iam.Event
	seq   int // global order of arrival
}

// recorder collects what fake publishers receive.
type recorder struct {
	mu         sync.Mutex
	deliveries []delivery
}

func (r *recorder) add(relay string, events ...iam.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range events {
		r.deliveries = append(r.deliveries, delivery{relay: relay, event: e, seq: len(r.deliveries)})
	}
}

func (r *recorder) all() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.deliveries...)
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.deliveries)
}

// publisherTo returns a publisher that records into r as relay.
func publisherTo(r *recorder, relay string) iam.Publisher {
	return iam.PublisherFunc(func(ctx context.Context, events ...iam.Event) error {
		r.add(relay, events...)
		return nil
	})
}

// startRelay runs relay until the test ends (or the returned cancel is
// called); wait blocks until Run has returned and gives its result.
func startRelay(t testing.TB, relay *iampg.Relay) (cancel context.CancelFunc, wait func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	finished := make(chan struct{})
	var err error
	go func() {
		defer close(finished)
		err = relay.Run(ctx)
	}()
	wait = func() error {
		<-finished
		return err
	}
	t.Cleanup(func() {
		cancel()
		<-finished
	})
	return cancel, wait
}

// eventually waits until cond holds. The limit only keeps a broken test
// from hanging; it asserts nothing about speed.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// queryInt runs a query returning one integer.
func queryInt(t testing.TB, db iampg.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// fastRelay returns relay options for tests: short waits everywhere.
func fastRelay(opts ...iampg.RelayOption) []iampg.RelayOption {
	return append([]iampg.RelayOption{
		iampg.WithPollInterval(10 * time.Millisecond),
		iampg.WithBackoff(time.Millisecond, 10*time.Millisecond),
	}, opts...)
}
