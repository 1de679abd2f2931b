package iamkafka_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// fakeBatcher records what its batches handle; the effects of a batch take
// hold at its commit. It is what iampg.Batcher is, without a database.
type fakeBatcher struct {
	mu        sync.Mutex
	sizes     []int          // events per committed batch
	committed map[string]int // effects by event id
	order     map[string][]int
	failNext  int // how many commits to fail
}

type fakeBatch struct {
	f       *fakeBatcher
	pending []iam.Event
	after   []func()
}

type fakeBatchKey struct{}

func (f *fakeBatcher) Begin(ctx context.Context, group string, ids []string) (context.Context, iam.Batch, error) {
	b := &fakeBatch{f: f}
	return context.WithValue(iam.WithBatch(ctx, b), fakeBatchKey{}, b), b, nil
}

func (b *fakeBatch) Commit(context.Context) error {
	f := b.f
	f.mu.Lock()
	if f.failNext > 0 {
		f.failNext--
		f.mu.Unlock()
		return iam.Errorf(iam.CodeConflict, "handled concurrently")
	}
	f.sizes = append(f.sizes, len(b.pending))
	for _, e := range b.pending {
		f.apply(e)
	}
	f.mu.Unlock()
	for _, fn := range b.after {
		fn()
	}
	return nil
}

func (b *fakeBatch) Abort(context.Context) {}
func (b *fakeBatch) AfterCommit(fn func()) { b.after = append(b.after, fn) }

// apply records e's effect; f.mu is held.
func (f *fakeBatcher) apply(e iam.Event) {
	var d struct{ N int }
	_ = e.Decode(&d)
	f.committed[e.ID]++
	f.order[e.Subject] = append(f.order[e.Subject], d.N)
}

// handler applies an event in the batch of its ctx, or at once without one.
func (f *fakeBatcher) handler(ctx context.Context, e iam.Event) error {
	if b, ok := ctx.Value(fakeBatchKey{}).(*fakeBatch); ok {
		b.pending = append(b.pending, e)
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.apply(e)
	return nil
}

func (f *fakeBatcher) snapshot() (sizes []int, committed map[string]int, order map[string][]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, o := map[string]int{}, map[string][]int{}
	for k, v := range f.committed {
		c[k] = v
	}
	for k, v := range f.order {
		o[k] = append([]int(nil), v...)
	}
	return append([]int(nil), f.sizes...), c, o
}

func TestBatchesKeepEveryEventOnceAndEachKeysOrder(t *testing.T) {
	for _, tt := range []struct {
		name     string
		failNext int
	}{{"Committed", 0}, {"FailedBatchesAreHandledAgainOneAtATime", 3}} {
		t.Run(tt.name, func(t *testing.T) {
			seeds := iamtest.Kafka(t, "t")
			const keys, perKey = 5, 8
			var events []iam.Event
			for i := range perKey {
				for k := range keys {
					events = append(events, event(t, "t", fmt.Sprint("key-", k), i))
				}
			}
			publish(t, openPublisher(t, seeds), events...)
			f := &fakeBatcher{committed: map[string]int{}, order: map[string][]int{}, failNext: tt.failNext}
			sub := iamkafka.NewSubscriber(seeds, testOpts(iamkafka.WithLanes(3))...)
			ctx, cancel := context.WithCancel(iam.WithBatcher(context.Background(), f))
			defer cancel()
			errc := make(chan error, 1)
			go func() { errc <- sub.Subscribe(ctx, "g", []string{"t"}, f.handler) }()
			waitCommitted(t, seeds, "g", "t", 0, int64(len(events)))
			cancel()
			<-errc

			sizes, committed, order := f.snapshot()
			if len(committed) != len(events) {
				t.Fatalf("%d events took effect, want %d", len(committed), len(events))
			}
			for id, n := range committed {
				if n != 1 {
					t.Errorf("event %s took effect %d times", id, n)
				}
			}
			for key, ns := range order {
				for i, n := range ns {
					if n != i {
						t.Fatalf("%s's events took effect in the order %v", key, ns)
					}
				}
			}
			if tt.failNext == 0 && !hasBatchOfMoreThanOne(sizes) {
				t.Errorf("batch sizes %v: no batch of more than one event", sizes)
			}
		})
	}
}

func hasBatchOfMoreThanOne(sizes []int) bool {
	for _, n := range sizes {
		if n > 1 {
			return true
		}
	}
	return false
}
