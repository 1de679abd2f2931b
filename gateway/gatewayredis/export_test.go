package gatewayredis

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/rueidis"
)

// NewManual is a synchronised Limiter over client whose clock is now and
// whose loop never ticks by itself: tests synchronise with Sync.
func NewManual(client rueidis.Client, now func() time.Duration, opts ...Option) *Limiter {
	l := New(client, opts...) // exact: no loop yet
	l.every = time.Hour
	l.start(newLocal(now, l.syncRedis, l.timeout, l.log))
	return l
}

// NewSimulated is a synchronised Limiter over store (all on the clock
// now), whose loop never ticks by itself.
func NewSimulated(store *FakeStore, now func() time.Duration, opts ...Option) *Limiter {
	l := New(nil, opts...)
	l.every = time.Hour
	l.start(newLocal(now, store.sync, 0, l.log))
	return l
}

// Sync synchronises now, as the loop does every interval.
func (l *Limiter) Sync(ctx context.Context) error { return l.local.sync(ctx) }

// Buckets is the number of buckets the Limiter keeps in memory.
func (l *Limiter) Buckets() int { return l.local.size() }

// Forget forgets idle buckets now, as the loop does every sweepEvery.
func (l *Limiter) Forget() { l.local.forget() }

// SetMaxBuckets bounds the buckets kept in memory (default 1<<20).
func (l *Limiter) SetMaxBuckets(n int) {
	l.local.mu.Lock()
	defer l.local.mu.Unlock()
	l.local.maxBuckets = n
	l.local.nextSweep = min(l.local.nextSweep, n)
}

// FakeStore is the sync script's semantics in memory, on the clock now.
type FakeStore struct {
	now func() time.Duration

	mu   sync.Mutex
	tat  map[string]time.Duration
	down bool
}

// NewFakeStore returns an empty FakeStore.
func NewFakeStore(now func() time.Duration) *FakeStore {
	return &FakeStore{now: now, tat: map[string]time.Duration{}}
}

// SetDown makes synchronisations fail (true) or succeed again.
func (f *FakeStore) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

func (f *FakeStore) sync(_ context.Context, items []syncItem) ([]time.Duration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errors.New("store down")
	}
	now := f.now()
	out := make([]time.Duration, len(items))
	for i, it := range items {
		tat := max(f.tat[it.key], now)
		if it.n > 0 {
			tat += time.Duration(it.n) * interval(it.rate)
			f.tat[it.key] = tat
		}
		out[i] = tat - now
	}
	return out, nil
}
