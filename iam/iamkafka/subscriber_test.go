package iamkafka_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestHandlerFailingTwiceGetsRecordThreeTimesAndCommitsOnce(t *testing.T) {
	c := iamtest.KafkaCluster(t, "t")
	seeds := c.ListenAddrs()
	var commits atomic.Int32
	c.ControlKey(int16(kmsg.OffsetCommit), func(kreq kmsg.Request) (kmsg.Response, error, bool) {
		if kreq.(*kmsg.OffsetCommitRequest).Group == "g" {
			commits.Add(1)
		}
		return nil, nil, false // observe only
	})
	e := event(t, "t", "user-1", 1)
	publish(t, openPublisher(t, seeds), e)

	calls := 0
	handled := make(chan struct{})
	sub := iamkafka.NewSubscriber(seeds, testOpts(iamkafka.WithMaxAttempts(5))...)
	stop := subscribe(t, sub, "g", []string{"t"}, func(_ context.Context, got iam.Event) error {
		calls++
		if got.ID != e.ID {
			return fmt.Errorf("unexpected event %s", got.ID)
		}
		if calls < 3 {
			return errors.New("temporary failure")
		}
		close(handled)
		return nil
	})
	wait(t, handled, "third attempt")
	waitCommitted(t, seeds, "g", "t", 0, 1)
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Subscribe returned %v, want context.Canceled", err)
	}
	if calls != 3 {
		t.Errorf("handler called %d times, want 3", calls)
	}
	if n := commits.Load(); n != 1 {
		t.Errorf("%d offset commits, want 1", n)
	}
	if got := committed(t, seeds, "g", "t", 0); got != 1 {
		t.Errorf("committed offset after shutdown = %d, want 1", got)
	}
}

func TestPoisonRecordIsDeadLetteredAndConsumptionContinues(t *testing.T) {
	seeds := iamtest.Kafka(t, "t")
	poison := event(t, "t", "poison", 1)
	good := event(t, "t", "good", 2)
	p := openPublisher(t, seeds)
	publish(t, p, poison)
	raw := newClient(t, seeds)
	if err := raw.ProduceSync(context.Background(), &kgo.Record{Topic: "t", Key: []byte("junk"), Value: []byte("not a cloudevent")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	publish(t, p, good)

	var mu sync.Mutex
	calls := map[string]int{}
	goodDone := make(chan struct{})
	sub := iamkafka.NewSubscriber(seeds, testOpts(iamkafka.WithMaxAttempts(3))...)
	subscribe(t, sub, "g", []string{"t"}, func(_ context.Context, e iam.Event) error {
		mu.Lock()
		defer mu.Unlock()
		calls[e.Subject]++
		if e.Subject == "poison" {
			return iam.Errorf(iam.CodeInvalid, "cannot process poison (attempt %d)", calls[e.Subject])
		}
		close(goodDone)
		return nil
	})
	wait(t, goodDone, "the record after the poison ones")
	waitCommitted(t, seeds, "g", "t", 0, 3)

	mu.Lock()
	if calls["poison"] != 3 || calls["good"] != 1 || len(calls) != 2 {
		t.Errorf("handler calls = %v, want poison 3, good 1 and nothing else", calls)
	}
	mu.Unlock()

	dlq := readRecords(t, seeds, iamkafka.DLQTopic("t"), 2)
	byKey := map[string]*kgo.Record{}
	for _, r := range dlq {
		byKey[string(r.Key)] = r
	}
	r := byKey["acme/poison"]
	if r == nil {
		t.Fatalf("no dead letter for the poison event; got keys %v", keys(byKey))
	}
	if !strings.Contains(header(t, r, iamkafka.HeaderError), "cannot process poison (attempt 3)") {
		t.Errorf("opengate-error = %q, want the handler's last error", header(t, r, iamkafka.HeaderError))
	}
	for k, want := range map[string]string{
		iamkafka.HeaderAttempts: "3", iamkafka.HeaderGroup: "g", iamkafka.HeaderTopic: "t",
		iamkafka.HeaderPartition: "0", iamkafka.HeaderOffset: "0", iamkafka.HeaderID: poison.ID,
	} {
		if got := header(t, r, k); got != want {
			t.Errorf("poison dead letter header %s = %q, want %q", k, got, want)
		}
	}
	if !strings.Contains(string(r.Value), poison.ID) {
		t.Errorf("dead letter value %s is not the original event", r.Value)
	}

	m := byKey["junk"]
	if m == nil {
		t.Fatalf("no dead letter for the malformed record; got keys %v", keys(byKey))
	}
	if string(m.Value) != "not a cloudevent" || header(t, m, iamkafka.HeaderAttempts) != "0" ||
		header(t, m, iamkafka.HeaderOffset) != "1" || !strings.Contains(header(t, m, iamkafka.HeaderError), "malformed") {
		t.Errorf("malformed dead letter: value %q headers %v", m.Value, m.Headers)
	}
}

func keys(m map[string]*kgo.Record) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestKilledConsumerRereadsOnlyUncommittedRecords(t *testing.T) {
	seeds := iamtest.Kafka(t, "t")
	var events []iam.Event
	for i := range 5 {
		events = append(events, event(t, "t", "user-1", i))
	}
	publish(t, openPublisher(t, seeds), events...)
	sub := iamkafka.NewSubscriber(seeds, testOpts()...)

	// First member: handles events 0 and 1, is killed while handling 2.
	var first []int
	inThird := make(chan struct{})
	stop := subscribe(t, sub, "g", []string{"t"}, func(ctx context.Context, e iam.Event) error {
		first = append(first, seq(t, e))
		if seq(t, e) == 2 {
			close(inThird)
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	})
	wait(t, inThird, "the third event")
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Subscribe returned %v, want context.Canceled", err)
	}
	if fmt.Sprint(first) != "[0 1 2]" {
		t.Fatalf("first member saw %v", first)
	}
	if got := committed(t, seeds, "g", "t", 0); got != 2 {
		t.Fatalf("committed offset after the kill = %d, want 2", got)
	}

	// Restarted member: starts at the interrupted event.
	var second []int
	last := make(chan struct{})
	subscribe(t, sub, "g", []string{"t"}, func(_ context.Context, e iam.Event) error {
		second = append(second, seq(t, e))
		if seq(t, e) == 4 {
			close(last)
		}
		return nil
	})
	wait(t, last, "the last event")
	if fmt.Sprint(second) != "[2 3 4]" {
		t.Errorf("restarted member saw %v, want [2 3 4]", second)
	}
	waitCommitted(t, seeds, "g", "t", 0, 5)
}

func TestRecordsOfOnePartitionAreHandledInOrder(t *testing.T) {
	seeds := iamtest.Kafka(t)
	adm := kadm.NewClient(newClient(t, seeds))
	if err := iamkafka.EnsureTopics(context.Background(), adm, "ordered"); err != nil {
		t.Fatal(err)
	}
	const keys, perKey = 6, 25
	var events []iam.Event
	for i := range perKey {
		for k := range keys {
			events = append(events, event(t, "ordered", fmt.Sprint("user-", k), i))
		}
	}
	publish(t, openPublisher(t, seeds), events...)

	var mu sync.Mutex
	last := map[string]int{}
	failed := map[string]bool{}
	var problems []string
	count := 0
	all := make(chan struct{})
	sub := iamkafka.NewSubscriber(seeds, testOpts(iamkafka.WithMaxPollRecords(40))...)
	subscribe(t, sub, "g", []string{"ordered"}, func(_ context.Context, e iam.Event) error {
		n := seq(t, e)
		mu.Lock()
		defer mu.Unlock()
		if n%4 == 1 && !failed[e.ID] { // fail some once: retries must not reorder
			failed[e.ID] = true
			return errors.New("transient")
		}
		if prev, ok := last[e.Subject]; ok && n != prev+1 || !ok && n != 0 {
			problems = append(problems, fmt.Sprintf("%s: %d after %d", e.Subject, n, prev))
		}
		last[e.Subject] = n
		count++
		if count == keys*perKey {
			close(all)
		}
		return nil
	})
	wait(t, all, "all events")
	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Errorf("out of order: %v", problems)
	}
}

func TestSubscribeRejectsInvalidInput(t *testing.T) {
	ok := func(context.Context, iam.Event) error { return nil }
	sub := iamkafka.NewSubscriber([]string{"127.0.0.1:1"})
	tests := []struct {
		name  string
		sub   *iamkafka.Subscriber
		group string
		top   []string
		h     iam.Handler
		field string
	}{
		{"NoSeeds", iamkafka.NewSubscriber(nil), "g", []string{"t"}, ok, "seeds"},
		{"EmptyGroup", sub, "", []string{"t"}, ok, "group"},
		{"NoTopics", sub, "g", nil, ok, "topics"},
		{"InvalidTopic", sub, "g", []string{"a topic"}, ok, "topics"},
		{"NilHandler", sub, "g", []string{"t"}, nil, "handler"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.sub.Subscribe(context.Background(), tt.group, tt.top, tt.h)
			if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != tt.field {
				t.Errorf("got %v (field %q), want invalid %q", err, iam.ErrorField(err), tt.field)
			}
		})
	}
}

func TestEnsureTopics(t *testing.T) {
	seeds := iamtest.Kafka(t, "exists")
	adm := kadm.NewClient(newClient(t, seeds))
	ctx := context.Background()
	if err := iamkafka.EnsureTopics(ctx, adm, "exists", "new", iamkafka.DLQTopic("new")); err != nil {
		t.Fatalf("EnsureTopics: %v", err)
	}
	if err := iamkafka.EnsureTopics(ctx, adm, "new"); err != nil {
		t.Fatalf("EnsureTopics again: %v", err)
	}
	details, err := adm.ListTopics(ctx, "exists", "new", "new.dlq")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"exists", "new", "new.dlq"} {
		if d, ok := details[name]; !ok || d.Err != nil {
			t.Errorf("topic %s: %+v", name, d)
		}
	}
	if err := iamkafka.EnsureTopics(ctx, adm, "bad name"); iam.ErrorCode(err) != iam.CodeInvalid {
		t.Errorf("EnsureTopics with a bad name returned %v", err)
	}
}

func TestEveryGroupGetsEveryRecord(t *testing.T) {
	seeds := iamtest.Kafka(t, "t")
	const n = 10
	var events []iam.Event
	for i := range n {
		events = append(events, event(t, "t", fmt.Sprint("user-", i%3), i))
	}
	publish(t, openPublisher(t, seeds), events...)
	sub := iamkafka.NewSubscriber(seeds, testOpts()...)
	for _, group := range []string{"a", "b"} {
		var mu sync.Mutex
		seen := map[string]bool{}
		all := make(chan struct{})
		subscribe(t, sub, group, []string{"t"}, func(_ context.Context, e iam.Event) error {
			mu.Lock()
			defer mu.Unlock()
			if !seen[e.ID] {
				seen[e.ID] = true
				if len(seen) == n {
					close(all)
				}
			}
			return nil
		})
		wait(t, all, "group "+group)
	}
}

func TestPanickingHandlerIsDeadLettered(t *testing.T) {
	seeds := iamtest.Kafka(t, "t")
	publish(t, openPublisher(t, seeds), event(t, "t", "k", 1))
	sub := iamkafka.NewSubscriber(seeds, testOpts(iamkafka.WithMaxAttempts(2))...)
	subscribe(t, sub, "g", []string{"t"}, func(context.Context, iam.Event) error { panic("boom") })
	r := readRecords(t, seeds, iamkafka.DLQTopic("t"), 1)[0]
	if got := header(t, r, iamkafka.HeaderError); !strings.Contains(got, "panic: boom") {
		t.Errorf("opengate-error = %q", got)
	}
	waitCommitted(t, seeds, "g", "t", 0, 1)
}

func TestUnavailableFailuresAreRetriedNotDeadLettered(t *testing.T) {
	seeds := iamtest.Kafka(t, "t")
	publish(t, openPublisher(t, seeds), event(t, "t", "k", 1))
	var calls atomic.Int32
	done := make(chan struct{})
	sub := iamkafka.NewSubscriber(seeds, testOpts(iamkafka.WithMaxAttempts(2))...)
	subscribe(t, sub, "g", []string{"t"}, func(context.Context, iam.Event) error {
		if calls.Add(1) <= 6 { // three times the dead-letter limit
			return &iam.Error{Code: iam.CodeUnavailable, Message: "database unavailable"}
		}
		close(done)
		return nil
	})
	wait(t, done, "the handler to succeed once the database is back")
	waitCommitted(t, seeds, "g", "t", 0, 1)
	if got := recordsIn(t, seeds, iamkafka.DLQTopic("t")); got != 0 {
		t.Fatalf("%d dead letters, want none", got)
	}
}

// recordsIn returns how many records topic holds (0 when it does not
// exist).
func recordsIn(t *testing.T, seeds []string, topic string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	ends, err := kadm.NewClient(newClient(t, seeds)).ListEndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			n += o.Offset
		}
	})
	return n
}
