package iamkafka_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
)

// hangGuard bounds every wait so that a broken consumer fails the test
// instead of hanging it; it is never what a test asserts.
const hangGuard = 20 * time.Second

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testOpts are fast subscriber settings for tests.
func testOpts(extra ...iamkafka.Option) []iamkafka.Option {
	return append([]iamkafka.Option{
		iamkafka.WithBackoff(time.Millisecond, 5*time.Millisecond),
		iamkafka.WithLogger(quiet()),
		iamkafka.WithClientOpts(kgo.FetchMaxWait(100 * time.Millisecond)),
	}, extra...)
}

func newClient(t testing.TB, seeds []string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(seeds...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func openPublisher(t testing.TB, seeds []string) *iamkafka.Publisher {
	t.Helper()
	p, err := iamkafka.OpenPublisher(seeds, iamkafka.WithLogger(quiet()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func event(t testing.TB, topic, subject string, n int) iam.Event {
	t.Helper()
	e, err := iam.NewEvent("/test", topic, "acme", subject, map[string]int{"n": n})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func seq(t testing.TB, e iam.Event) int {
	t.Helper()
	var d struct{ N int }
	if err := e.Decode(&d); err != nil {
		t.Fatal(err)
	}
	return d.N
}

func publish(t testing.TB, p iam.Publisher, events ...iam.Event) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	if err := p.Publish(ctx, events...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

// subscribe runs Subscribe in a goroutine; stop cancels it and returns its
// error.
func subscribe(t *testing.T, s iam.Subscriber, group string, topics []string, h iam.Handler) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- s.Subscribe(ctx, group, topics, h) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(hangGuard):
				t.Error("Subscribe did not return after its context ended")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(hangGuard):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// committed returns the group's committed offset of topic/partition, or -1.
func committed(t *testing.T, seeds []string, group, topic string, partition int32) int64 {
	t.Helper()
	adm := kadm.NewClient(newClient(t, seeds))
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	resp, err := adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return -1 // the group has not joined yet
	}
	if err != nil {
		t.Fatalf("FetchOffsets: %v", err)
	}
	o, ok := resp.Lookup(topic, partition)
	if !ok {
		return -1
	}
	if o.Err != nil {
		t.Fatalf("FetchOffsets %s/%d: %v", topic, partition, o.Err)
	}
	return o.At
}

// waitCommitted waits until the group's committed offset reaches want.
func waitCommitted(t *testing.T, seeds []string, group, topic string, partition int32, want int64) {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for {
		got := committed(t, seeds, group, topic, partition)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("committed offset of %s %s/%d is %d, want %d", group, topic, partition, got, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readRecords reads the first n records of topic outside any group.
func readRecords(t *testing.T, seeds []string, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := newClient(t, seeds, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("read %d of %d records of %s: %v", len(out), n, topic, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Logf("fetch %s/%d: %v", topic, p, err) })
		out = append(out, fs.Records()...)
	}
	if len(out) != n {
		t.Fatalf("read %d records of %s, want %d", len(out), topic, n)
	}
	return out
}

func header(t *testing.T, r *kgo.Record, key string) string {
	t.Helper()
	v, ok := iamkafka.Header(r, key)
	if !ok {
		t.Errorf("record %s/%d has no %s header", r.Topic, r.Offset, key)
	}
	return v
}
