package iampg_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
)

// listeners counts the connections listening for outbox notifications.
func listeners(t testing.TB, pool *pgxpool.Pool) int {
	t.Helper()
	return queryInt(t, pool, `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+iampg.OutboxChannel+`'`)
}

func unsent(t testing.TB, pool *pgxpool.Pool) int {
	t.Helper()
	return queryInt(t, pool, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")
}

func TestRelayPublishesCommittedEventsUnchangedAndMarksThemSent(t *testing.T) {
	pool := migratedPool(t)
	rec := &recorder{}
	startRelay(t, iampg.NewRelay(pool, publisherTo(rec, "r"), fastRelay()...))

	e := newEvent(t, "user-1", map[string]any{"username": "alice", "enabled": true})
	write(t, pool, e)
	eventually(t, "the event is published", func() bool { return rec.len() == 1 })
	assertSameEvent(t, rec.all()[0].event, e)
	eventually(t, "the row is marked sent", func() bool { return unsent(t, pool) == 0 })
	if n := queryInt(t, pool, "SELECT attempts FROM outbox"); n != 1 {
		t.Fatalf("attempts = %d, want 1", n)
	}
}

func TestRelayNeverPublishesARolledBackEvent(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	rolledBack := newEvent(t, "user-1", nil)
	err := iampg.WithTx(ctx, pool, func(tx pgx.Tx) error {
		if err := iampg.Write(ctx, tx, rolledBack); err != nil {
			return err
		}
		return errors.New("the change failed")
	})
	if err == nil {
		t.Fatal("transaction committed")
	}
	committed := newEvent(t, "user-2", nil)
	write(t, pool, committed)

	rec := &recorder{}
	startRelay(t, iampg.NewRelay(pool, publisherTo(rec, "r"), fastRelay()...))
	// Rows are published in write order, so once the later committed event
	// is out, the earlier rolled-back one would have been too.
	eventually(t, "the committed event is published", func() bool { return rec.len() >= 1 })
	eventually(t, "the row is marked sent", func() bool { return unsent(t, pool) == 0 })
	for _, d := range rec.all() {
		if d.event.ID == rolledBack.ID {
			t.Fatal("an event of a rolled-back transaction was published")
		}
	}
	if n := rec.len(); n != 1 {
		t.Fatalf("%d events published, want 1", n)
	}
}

func TestRelayWakesOnNotification(t *testing.T) {
	pool := migratedPool(t)
	rec := &recorder{}
	// Polling every hour: only notifications can wake the relay in time.
	startRelay(t, iampg.NewRelay(pool, publisherTo(rec, "r"), iampg.WithPollInterval(time.Hour)))
	eventually(t, "the relay listens", func() bool { return listeners(t, pool) == 1 })
	// The relay also wakes once when it starts listening; three rounds make
	// sure later ones were woken by the notifications.
	for i := range 3 {
		write(t, pool, newEvent(t, fmt.Sprintf("user-%d", i), nil))
		eventually(t, fmt.Sprintf("event %d is published", i), func() bool { return rec.len() == i+1 })
	}
}

func TestRelayListensAgainAfterItsConnectionDies(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	rec := &recorder{}
	startRelay(t, iampg.NewRelay(pool, publisherTo(rec, "r"),
		iampg.WithPollInterval(time.Hour), iampg.WithBackoff(time.Millisecond, 10*time.Millisecond)))
	eventually(t, "the relay listens", func() bool { return listeners(t, pool) == 1 })
	if _, err := pool.Exec(ctx, `SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+iampg.OutboxChannel+`'`); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the relay listens again", func() bool { return listeners(t, pool) == 1 })
	for i := range 2 {
		write(t, pool, newEvent(t, fmt.Sprintf("user-%d", i), nil))
		eventually(t, fmt.Sprintf("event %d is published", i), func() bool { return rec.len() == i+1 })
	}
}

func TestRelayKilledBeforeMarkingRepublishesAndHandleOnceAppliesOnce(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	if _, err := pool.Exec(ctx, "CREATE TABLE welcome_mails (user_id text NOT NULL)"); err != nil {
		t.Fatal(err)
	}
	e := newEvent(t, "user-1", nil)
	write(t, pool, e)
	rec := &recorder{}

	// The first relay publishes, then "dies" before it can mark the row:
	// its transaction's connection is killed and it is stopped.
	ctx1, stop1 := context.WithCancel(ctx)
	defer stop1()
	crash := iam.PublisherFunc(func(_ context.Context, events ...iam.Event) error {
		rec.add("first", events...)
		killed := queryInt(t, pool, `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))
			FROM pg_stat_activity
			WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL`)
		if killed != 1 {
			t.Errorf("killed %d relay transactions, want 1", killed)
		}
		stop1()
		return nil
	})
	if err := iampg.NewRelay(pool, crash, fastRelay()...).Run(ctx1); !errors.Is(err, context.Canceled) {
		t.Fatalf("first relay: %v", err)
	}
	if unsent(t, pool) != 1 {
		t.Fatal("the row was marked sent although the relay died before committing")
	}

	// The restarted relay publishes the event again.
	startRelay(t, iampg.NewRelay(pool, publisherTo(rec, "second"), fastRelay()...))
	eventually(t, "the event is published again", func() bool { return rec.len() == 2 })
	eventually(t, "the row is marked sent", func() bool { return unsent(t, pool) == 0 })

	// A consumer sees the duplicate; HandleOnce makes its effect happen once.
	for _, d := range rec.all() {
		if d.event.ID != e.ID {
			t.Fatalf("published %s, want %s", d.event.ID, e.ID)
		}
		err := iampg.HandleOnce(ctx, pool, "notify.welcome", d.event, func(tx pgx.Tx) error {
			_, err := tx.Exec(ctx, "INSERT INTO welcome_mails VALUES ($1)", d.event.Subject)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := queryInt(t, pool, "SELECT count(*) FROM welcome_mails"); n != 1 {
		t.Fatalf("effect applied %d times, want once", n)
	}
}

func TestTwoRelaysShareTheWorkAndNeverPublishTheSameRow(t *testing.T) {
	pool := migratedPool(t)
	var (
		mu       sync.Mutex
		inFlight = map[string]string{} // event id → relay publishing it
		overlaps []string
	)
	rec := &recorder{}
	publisher := func(relay string) iam.Publisher {
		return iam.PublisherFunc(func(ctx context.Context, events ...iam.Event) error {
			mu.Lock()
			for _, e := range events {
				if other, ok := inFlight[e.ID]; ok {
					overlaps = append(overlaps, fmt.Sprintf("%s by %s and %s", e.ID, other, relay))
				}
				inFlight[e.ID] = relay
			}
			mu.Unlock()
			time.Sleep(time.Millisecond) // a broker round trip
			rec.add(relay, events...)
			mu.Lock()
			for _, e := range events {
				delete(inFlight, e.ID)
			}
			mu.Unlock()
			return nil
		})
	}
	startRelay(t, iampg.NewRelay(pool, publisher("a"), fastRelay(iampg.WithBatchSize(10))...))
	startRelay(t, iampg.NewRelay(pool, publisher("b"), fastRelay(iampg.WithBatchSize(10))...))

	const total = 500
	want := map[string]bool{}
	for tx := range total / 50 {
		var events []iam.Event
		for i := range 50 {
			e := newEvent(t, fmt.Sprintf("user-%d-%d", tx, i), nil) // one key each
			events = append(events, e)
			want[e.ID] = true
		}
		write(t, pool, events...)
	}
	eventually(t, "every event is published", func() bool { return rec.len() >= total })
	eventually(t, "every row is marked sent", func() bool { return unsent(t, pool) == 0 })

	count := map[string]int{}
	byRelay := map[string]int{}
	for _, d := range rec.all() {
		count[d.event.ID]++
		byRelay[d.relay]++
	}
	for id := range want {
		if count[id] != 1 {
			t.Errorf("event %s published %d times, want 1", id, count[id])
		}
	}
	if len(count) != total {
		t.Errorf("%d distinct events published, want %d", len(count), total)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(overlaps) > 0 {
		t.Errorf("published concurrently by two relays: %v", overlaps)
	}
	if byRelay["a"] == 0 || byRelay["b"] == 0 {
		t.Errorf("work not shared: %v", byRelay)
	}
}

func TestTwoRelaysPublishEachKeysEventsInOrder(t *testing.T) {
	pool := migratedPool(t)
	rec := &recorder{}
	slow := func(relay string) iam.Publisher {
		return iam.PublisherFunc(func(ctx context.Context, events ...iam.Event) error {
			time.Sleep(time.Millisecond)
			rec.add(relay, events...)
			return nil
		})
	}
	startRelay(t, iampg.NewRelay(pool, slow("a"), fastRelay(iampg.WithBatchSize(7))...))
	startRelay(t, iampg.NewRelay(pool, slow("b"), fastRelay(iampg.WithBatchSize(7))...))

	const subjects, perSubject = 5, 60
	written := map[string][]string{} // subject → event ids in write order
	for round := range perSubject / 3 {
		var events []iam.Event
		for range 3 {
			for s := range subjects {
				subject := fmt.Sprintf("user-%d", s)
				e := newEvent(t, subject, map[string]int{"round": round})
				events = append(events, e)
				written[subject] = append(written[subject], e.ID)
			}
		}
		write(t, pool, events...)
	}
	eventually(t, "every event is published", func() bool { return rec.len() >= subjects*perSubject })

	published := map[string][]string{}
	for _, d := range rec.all() {
		published[d.event.Subject] = append(published[d.event.Subject], d.event.ID)
	}
	for subject, want := range written {
		got := published[subject]
		if len(got) != len(want) {
			t.Errorf("%s: %d events published, want %d", subject, len(got), len(want))
			continue
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("%s: event %d out of order", subject, i)
				break
			}
		}
	}
}

func TestRelayKeepsRowsWhilePublishingFailsThenPublishesThemInOrder(t *testing.T) {
	pool := migratedPool(t)
	var failing atomic.Bool
	failing.Store(true)
	rec := &recorder{}
	publisher := iam.PublisherFunc(func(ctx context.Context, events ...iam.Event) error {
		if failing.Load() {
			return errors.New("broker down")
		}
		rec.add("r", events...)
		return nil
	})
	var want []string
	for i := range 20 {
		e := newEvent(t, fmt.Sprintf("user-%d", i), nil)
		write(t, pool, e) // one transaction each: ids in this order
		want = append(want, e.ID)
	}
	startRelay(t, iampg.NewRelay(pool, publisher, fastRelay(iampg.WithBatchSize(7))...))

	// The first batch is retried again and again; nothing is lost or sent.
	eventually(t, "three failed attempts are recorded", func() bool {
		return queryInt(t, pool, `SELECT count(*) FROM outbox WHERE attempts >= 3 AND last_error LIKE '%broker down%'`) == 7
	})
	if n := unsent(t, pool); n != 20 {
		t.Fatalf("%d rows unsent, want all 20", n)
	}
	if rec.len() != 0 {
		t.Fatal("events recorded while publishing fails")
	}

	failing.Store(false)
	eventually(t, "every event is published", func() bool { return rec.len() >= 20 })
	eventually(t, "every row is marked sent", func() bool { return unsent(t, pool) == 0 })
	got := rec.all()
	if len(got) != len(want) {
		t.Fatalf("%d events published, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].event.ID != want[i] {
			t.Fatalf("event %d out of order", i)
		}
	}
}

func TestRelayHoldsBackAnUndecodableRowAndOnlyItsKey(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	poisonID := iam.NewID()
	if _, err := pool.Exec(ctx, `INSERT INTO outbox (event_id, topic, realm_name, key, payload)
		VALUES ($1, 'user.created', 'acme', 'acme/bad', '[1, 2]')`, poisonID); err != nil {
		t.Fatal(err)
	}
	sameKey := newEvent(t, "bad", nil)
	otherKey := newEvent(t, "good", nil)
	write(t, pool, sameKey, otherKey)

	rec := &recorder{}
	startRelay(t, iampg.NewRelay(pool, publisherTo(rec, "r"), fastRelay()...))
	eventually(t, "the other key's event is published", func() bool { return rec.len() >= 1 })
	eventually(t, "the decode failure is recorded repeatedly", func() bool {
		// One row always (0 until the first failure is recorded).
		return queryInt(t, pool, `SELECT COALESCE(max(attempts), 0) FROM outbox WHERE event_id = $1 AND last_error IS NOT NULL`, poisonID) >= 3
	})
	for _, d := range rec.all() {
		if d.event.ID != otherKey.ID {
			t.Fatalf("published %s about %q; only the other key's event may go", d.event.ID, d.event.Subject)
		}
	}

	// Repaired, the row goes out, then the event queued behind it.
	repaired := newEvent(t, "bad", nil)
	repaired.ID = poisonID
	if _, err := pool.Exec(ctx, `UPDATE outbox SET payload = $2 WHERE event_id = $1`, poisonID, repaired); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the held-back events are published", func() bool { return rec.len() == 3 })
	got := rec.all()
	if got[1].event.ID != poisonID || got[2].event.ID != sameKey.ID {
		t.Fatalf("held-back events published as %s, %s; want %s, %s", got[1].event.ID, got[2].event.ID, poisonID, sameKey.ID)
	}
}

func TestRelayPrunesOldSentRows(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	old, recent := newEvent(t, "a", nil), newEvent(t, "b", nil)
	write(t, pool, old, recent)
	if _, err := pool.Exec(ctx, `UPDATE outbox SET sent_at = now() - interval '8 days' WHERE event_id = $1`, old.ID); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	startRelay(t, iampg.NewRelay(pool, publisherTo(rec, "r"), fastRelay(iampg.WithRetention(24*time.Hour))...))
	eventually(t, "the old row is pruned", func() bool {
		return queryInt(t, pool, "SELECT count(*) FROM outbox WHERE event_id = $1", old.ID) == 0
	})
	eventually(t, "the recent row is sent", func() bool { return unsent(t, pool) == 0 })
	if n := queryInt(t, pool, "SELECT count(*) FROM outbox WHERE event_id = $1", recent.ID); n != 1 {
		t.Fatal("a recently sent row was pruned")
	}
}

func TestRelayStopsCleanlyWhenCtxEnds(t *testing.T) {
	pool := migratedPool(t)
	rec := &recorder{}
	cancel, wait := startRelay(t, iampg.NewRelay(pool, publisherTo(rec, "r"), fastRelay()...))
	eventually(t, "the relay listens", func() bool { return listeners(t, pool) == 1 })
	cancel()
	if err := wait(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	eventually(t, "the listening connection is closed", func() bool { return listeners(t, pool) == 0 })
	// A connection interrupted by the cancel is destroyed asynchronously.
	eventually(t, "every connection is back", func() bool { return pool.Stat().AcquiredConns() == 0 })
}
