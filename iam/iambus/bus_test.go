package iambus_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
)

// hangGuard bounds every wait so that a broken bus fails the test instead of
// hanging it; it is never what a test asserts.
const hangGuard = 10 * time.Second

func newBus(t *testing.T, opts ...iambus.Option) *iambus.Bus {
	t.Helper()
	base := []iambus.Option{
		iambus.WithBackoff(time.Millisecond, 4*time.Millisecond),
		iambus.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	}
	b := iambus.New(append(base, opts...)...)
	t.Cleanup(func() { b.Close() })
	return b
}

func event(t *testing.T, topic, subject string, n int) iam.Event {
	t.Helper()
	e, err := iam.NewEvent("/test", topic, "acme", subject, map[string]int{"n": n})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func seq(t *testing.T, e iam.Event) int {
	t.Helper()
	var d struct{ N int }
	if err := e.Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d.N
}

// subscribe runs Subscribe in a goroutine; the returned function cancels it
// and returns Subscribe's error.
func subscribe(t *testing.T, b *iambus.Bus, group string, topics []string, h iam.Handler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- b.Subscribe(ctx, group, topics, h) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(hangGuard):
				t.Fatal("Subscribe did not return after its context ended")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func publish(t *testing.T, b *iambus.Bus, events ...iam.Event) {
	t.Helper()
	if err := b.Publish(context.Background(), events...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(hangGuard):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// collector records handled events and signals when it has seen n.
type collector struct {
	mu   sync.Mutex
	got  []iam.Event
	n    int
	full chan struct{}
}

func newCollector(n int) *collector { return &collector{n: n, full: make(chan struct{})} }

func (c *collector) handle(_ context.Context, e iam.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.got = append(c.got, e)
	if len(c.got) == c.n {
		close(c.full)
	}
	return nil
}

func (c *collector) events() []iam.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]iam.Event(nil), c.got...)
}

func TestFanOutToEveryGroup(t *testing.T) {
	b := newBus(t)
	const n = 20
	a, c := newCollector(n), newCollector(n)
	if err := b.Declare("a", "t"); err != nil {
		t.Fatal(err)
	}
	if err := b.Declare("c", "t"); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		publish(t, b, event(t, "t", fmt.Sprint("s", i%3), i))
	}
	subscribe(t, b, "a", []string{"t"}, a.handle)
	subscribe(t, b, "c", []string{"t"}, c.handle)
	wait(t, a.full, "group a")
	wait(t, c.full, "group c")
	for name, col := range map[string]*collector{"a": a, "c": c} {
		ids := map[string]bool{}
		for _, e := range col.events() {
			ids[e.ID] = true
		}
		if len(ids) != n {
			t.Errorf("group %s got %d distinct events, want %d", name, len(ids), n)
		}
	}
}

func TestGroupMembersShareWork(t *testing.T) {
	b := newBus(t)
	const n = 40
	if err := b.Declare("g", "t"); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		publish(t, b, event(t, "t", fmt.Sprint("subject-", i), i))
	}

	// Each member's first call waits until the other member also has one in
	// hand: this only completes if the two members handle different events
	// at the same time.
	var mu sync.Mutex
	handled := map[string]int{} // event id → times handled
	byMember := map[string]int{}
	started := map[string]chan struct{}{"m1": make(chan struct{}), "m2": make(chan struct{})}
	all := make(chan struct{})
	member := func(name, other string) iam.Handler {
		first := true
		return func(ctx context.Context, e iam.Event) error {
			if first {
				first = false
				close(started[name])
				select {
				case <-started[other]:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			handled[e.ID]++
			byMember[name]++
			if len(handled) == n {
				close(all)
			}
			return nil
		}
	}
	subscribe(t, b, "g", []string{"t"}, member("m1", "m2"))
	subscribe(t, b, "g", []string{"t"}, member("m2", "m1"))
	wait(t, all, "all events")

	mu.Lock()
	defer mu.Unlock()
	for id, k := range handled {
		if k != 1 {
			t.Errorf("event %s handled %d times, want once", id, k)
		}
	}
	if byMember["m1"] == 0 || byMember["m2"] == 0 {
		t.Errorf("work not shared: %v", byMember)
	}
}

func TestRetryRedeliversUntilSuccess(t *testing.T) {
	var dead []iambus.DeadLetter
	b := newBus(t, iambus.WithMaxAttempts(5), iambus.WithDeadLetter(func(_ context.Context, dl iambus.DeadLetter) {
		dead = append(dead, dl)
	}))
	e := event(t, "t", "u1", 1)
	calls := 0
	ok := make(chan struct{})
	if err := b.Declare("g", "t"); err != nil {
		t.Fatal(err)
	}
	publish(t, b, e)
	stop := subscribe(t, b, "g", []string{"t"}, func(_ context.Context, got iam.Event) error {
		calls++
		if got.ID != e.ID {
			return fmt.Errorf("unexpected event %s", got.ID)
		}
		if calls <= 2 {
			return errors.New("temporary failure")
		}
		close(ok)
		return nil
	})
	wait(t, ok, "third attempt")
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Subscribe returned %v, want context.Canceled", err)
	}
	if calls != 3 {
		t.Errorf("handler called %d times, want 3", calls)
	}
	if len(dead) != 0 {
		t.Errorf("dead letters: %v", dead)
	}
}

func TestPoisonEventIsDeadLetteredAndConsumptionContinues(t *testing.T) {
	dead := make(chan iambus.DeadLetter, 1)
	b := newBus(t, iambus.WithMaxAttempts(3), iambus.WithDeadLetter(func(_ context.Context, dl iambus.DeadLetter) {
		dead <- dl
	}))
	poison := event(t, "t", "same-key", 1)
	next := event(t, "t", "same-key", 2) // same lane: must not be blocked for ever
	if err := b.Declare("g", "t"); err != nil {
		t.Fatal(err)
	}
	if err := b.Declare("dlq-reader", iambus.DLQTopic("t")); err != nil {
		t.Fatal(err)
	}
	publish(t, b, poison, next)

	var attempts int
	nextDone := make(chan struct{})
	subscribe(t, b, "g", []string{"t"}, func(_ context.Context, e iam.Event) error {
		if e.ID == poison.ID {
			attempts++
			return iam.Errorf(iam.CodeInvalid, "cannot handle %d", attempts)
		}
		close(nextDone)
		return nil
	})
	dlq := newCollector(1)
	subscribe(t, b, "dlq-reader", []string{"t.dlq"}, dlq.handle)

	wait(t, nextDone, "the event after the poison one")
	wait(t, dlq.full, "the dead-letter topic")
	dl := <-dead
	if attempts != 3 || dl.Attempts != 3 {
		t.Errorf("attempts: handler %d, dead letter %d; want 3", attempts, dl.Attempts)
	}
	if dl.Group != "g" || dl.Topic != "t" || dl.Event.ID != poison.ID {
		t.Errorf("dead letter = %+v", dl)
	}
	if iam.ErrorCode(dl.Err) != iam.CodeInvalid || iam.ErrorMessage(dl.Err) != "cannot handle 3" {
		t.Errorf("dead letter error = %v, want the handler's last error", dl.Err)
	}
	if got := dlq.events()[0]; got.ID != poison.ID || got.Type != "t" {
		t.Errorf("dead-letter topic got %s/%s, want the poison event unchanged", got.Type, got.ID)
	}
}

func TestPanickingHandlerIsRetriedThenDeadLettered(t *testing.T) {
	dead := make(chan iambus.DeadLetter, 1)
	b := newBus(t, iambus.WithMaxAttempts(2), iambus.WithDeadLetter(func(_ context.Context, dl iambus.DeadLetter) {
		dead <- dl
	}))
	if err := b.Declare("g", "t"); err != nil {
		t.Fatal(err)
	}
	publish(t, b, event(t, "t", "x", 1))
	subscribe(t, b, "g", []string{"t"}, func(context.Context, iam.Event) error { panic("boom") })
	select {
	case dl := <-dead:
		if dl.Attempts != 2 || iam.ErrorCode(dl.Err) != iam.CodeInternal {
			t.Errorf("dead letter = %+v", dl)
		}
	case <-time.After(hangGuard):
		t.Fatal("no dead letter")
	}
}

func TestSameKeyIsHandledInOrder(t *testing.T) {
	b := newBus(t, iambus.WithConcurrency(4), iambus.WithShards(4))
	const keys, perKey = 6, 30
	if err := b.Declare("g", "t"); err != nil {
		t.Fatal(err)
	}
	for i := range perKey {
		for k := range keys {
			publish(t, b, event(t, "t", fmt.Sprint("key-", k), i))
		}
	}
	var mu sync.Mutex
	last := map[string]int{}
	failed := map[string]bool{}
	var disorder []string
	count := 0
	all := make(chan struct{})
	h := func(_ context.Context, e iam.Event) error {
		n := seq(t, e)
		time.Sleep(100 * time.Microsecond) // let other consumers run meanwhile
		mu.Lock()
		defer mu.Unlock()
		if n%7 == 3 && !failed[e.ID] { // fail some events once: retries must not reorder
			failed[e.ID] = true
			return errors.New("transient")
		}
		if prev, ok := last[e.Subject]; ok && n != prev+1 || !ok && n != 0 {
			disorder = append(disorder, fmt.Sprintf("%s: %d after %d", e.Subject, n, prev))
		}
		last[e.Subject] = n
		count++
		if count == keys*perKey {
			close(all)
		}
		return nil
	}
	subscribe(t, b, "g", []string{"t"}, h)
	subscribe(t, b, "g", []string{"t"}, h)
	wait(t, all, "all events")
	if len(disorder) > 0 {
		t.Errorf("out of order: %v", disorder)
	}
}

func TestCancelledConsumerLeavesEventForNextMember(t *testing.T) {
	b := newBus(t)
	if err := b.Declare("g", "t"); err != nil {
		t.Fatal(err)
	}
	e1, e2 := event(t, "t", "k", 1), event(t, "t", "k", 2)
	publish(t, b, e1, e2)

	inHandler := make(chan struct{})
	stop := subscribe(t, b, "g", []string{"t"}, func(ctx context.Context, e iam.Event) error {
		close(inHandler)
		<-ctx.Done() // killed mid-handling
		return ctx.Err()
	})
	wait(t, inHandler, "first handler call")
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Subscribe returned %v, want context.Canceled", err)
	}

	again := newCollector(2)
	subscribe(t, b, "g", []string{"t"}, again.handle)
	wait(t, again.full, "redelivery")
	got := again.events()
	if got[0].ID != e1.ID || got[1].ID != e2.ID {
		t.Errorf("restarted member got %s, %s; want the interrupted event then the next", got[0].ID, got[1].ID)
	}
}

func TestGroupReceivesOnlyEventsAfterItSubscribed(t *testing.T) {
	b := newBus(t)
	early := event(t, "t", "k", 1)
	publish(t, b, early) // nobody subscribed: dropped
	if err := b.Declare("g", "t"); err != nil {
		t.Fatal(err)
	}
	late := event(t, "t", "k", 2)
	publish(t, b, late)
	// Both events have the same key, so had the early one been kept it would
	// be delivered first.
	c := newCollector(1)
	subscribe(t, b, "g", []string{"t"}, c.handle)
	wait(t, c.full, "late event")
	if got := c.events(); got[0].ID != late.ID {
		t.Errorf("got %s first, want the event published after Declare (%s)", got[0].ID, late.ID)
	}
}

func TestPublishHonoursContext(t *testing.T) {
	b := newBus(t, iambus.WithQueueSize(1))
	if err := b.Declare("g", "t"); err != nil {
		t.Fatal(err)
	}
	publish(t, b, event(t, "t", "k", 1)) // fills the queue; no consumer runs

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err := b.Publish(ctx, event(t, "t", "k", 2))
	if iam.ErrorCode(err) != iam.CodeUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Publish to a full queue returned %v, want unavailable with the deadline", err)
	}

	cancelled, cancel2 := context.WithCancel(context.Background())
	cancel2()
	if err := b.Publish(cancelled, event(t, "other", "k", 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Publish with a cancelled context returned %v", err)
	}
}

func TestPublishWaitsForRoom(t *testing.T) {
	b := newBus(t, iambus.WithQueueSize(1))
	if err := b.Declare("g", "t"); err != nil {
		t.Fatal(err)
	}
	const n = 5
	c := newCollector(n)
	subscribe(t, b, "g", []string{"t"}, c.handle)
	for i := range n {
		publish(t, b, event(t, "t", "k", i)) // each waits for the previous to be handled
	}
	wait(t, c.full, "all events")
	for i, e := range c.events() {
		if seq(t, e) != i {
			t.Fatalf("event %d has seq %d", i, seq(t, e))
		}
	}
}

func TestClose(t *testing.T) {
	b := newBus(t)
	errc := make(chan error, 1)
	inHandler := make(chan struct{})
	if err := b.Declare("g", "t"); err != nil {
		t.Fatal(err)
	}
	publish(t, b, event(t, "t", "k", 1))
	go func() {
		errc <- b.Subscribe(context.Background(), "g", []string{"t"}, func(ctx context.Context, _ iam.Event) error {
			close(inHandler)
			<-ctx.Done() // handlers see Close through their context
			return ctx.Err()
		})
	}()
	wait(t, inHandler, "handler")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if iam.ErrorCode(err) != iam.CodeUnavailable {
			t.Errorf("Subscribe after Close returned %v, want unavailable", err)
		}
	case <-time.After(hangGuard):
		t.Fatal("Subscribe did not return after Close")
	}
	if err := b.Publish(context.Background(), event(t, "t", "k", 2)); iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Errorf("Publish after Close returned %v", err)
	}
	if err := b.Subscribe(context.Background(), "g", []string{"t"}, func(context.Context, iam.Event) error { return nil }); iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Errorf("Subscribe after Close returned %v", err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestInvalidInput(t *testing.T) {
	b := newBus(t)
	ok := func(context.Context, iam.Event) error { return nil }
	valid := event(t, "t", "k", 1)
	noType, noID := valid, valid
	noType.Type = ""
	noID.ID = ""
	tests := []struct {
		name  string
		err   error
		field string
	}{
		{"EventWithoutType", b.Publish(context.Background(), valid, noType), "type"},
		{"EventWithoutID", b.Publish(context.Background(), noID), "id"},
		{"EmptyGroup", b.Subscribe(context.Background(), "", []string{"t"}, ok), "group"},
		{"NoTopics", b.Subscribe(context.Background(), "g", nil, ok), "topics"},
		{"EmptyTopic", b.Declare("g", "t", ""), "topics"},
		{"NilHandler", b.Subscribe(context.Background(), "g", []string{"t"}, nil), "handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if iam.ErrorCode(tt.err) != iam.CodeInvalid || iam.ErrorField(tt.err) != tt.field {
				t.Errorf("got %v (field %q), want invalid %q", tt.err, iam.ErrorField(tt.err), tt.field)
			}
		})
	}
}
