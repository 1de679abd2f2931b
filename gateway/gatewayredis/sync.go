package gatewayredis

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
)

// DefaultSyncInterval is the synchronisation interval the binaries use
// unless OPENGATE_RATE_LIMIT_SYNC says otherwise.
const DefaultSyncInterval = 100 * time.Millisecond

// defaultMaxBuckets bounds the buckets a synchronised Limiter keeps in
// memory (about 150 bytes each): beyond it, after forgetting the idle ones,
// it forgets every bucket (their unsent counts still reach Redis).
const defaultMaxBuckets = 1 << 20

// sweepEvery is how often the synchronisation loop forgets idle buckets,
// besides the sweeps a growing map triggers.
const sweepEvery = 10 * time.Second

// warnEvery spaces the warnings while synchronisation keeps failing.
const warnEvery = time.Minute

// syncItem is one bucket of a synchronisation: n requests admitted by this
// replica since the last one.
type syncItem struct {
	key  string // with the prefix
	n    int
	rate gateway.Rate
}

// syncFunc adds each item's n requests to its bucket in the shared store
// (GCRA, never refusing: they were admitted) and returns, per item, how
// far the bucket's theoretical arrival time is then ahead of the store's
// clock (0 for a full bucket), or a negative duration for an item whose
// call failed. The error, when some failed (or, with a nil answer, all
// did), says why.
type syncFunc func(ctx context.Context, items []syncItem) ([]time.Duration, error)

// bucket is one bucket as this replica sees it.
type bucket struct {
	key  string // without the prefix
	rate gateway.Rate
	// tat is the bucket's theoretical arrival time (since the limiter's
	// base): the latest of Redis's at the last synchronisation and this
	// replica's own admissions on top of it.
	tat time.Duration
	// pending requests were admitted here and not yet sent to Redis;
	// sending are in a synchronisation under way.
	pending, sending int
	dirty            bool // in local.dirty: touched since the last synchronisation began
}

// local is a synchronised Limiter's state: requests are admitted from it
// (GCRA on each bucket's tat, as gateway.MemoryLimiter) and sync sends the
// counts to Redis and takes back every touched bucket's state there.
type local struct {
	now        func() time.Duration
	store      syncFunc
	timeout    time.Duration
	log        *slog.Logger
	maxBuckets int

	mu        sync.Mutex
	buckets   map[string]*bucket
	dirty     []*bucket
	nextSweep int // sweep when the map reaches this size
	failing   bool
	lastWarn  time.Duration

	syncMu sync.Mutex // one synchronisation at a time
}

func newLocal(now func() time.Duration, store syncFunc, timeout time.Duration, log *slog.Logger) *local {
	return &local{now: now, store: store, timeout: timeout, log: log, maxBuckets: defaultMaxBuckets,
		buckets: map[string]*bucket{}, nextSweep: minSweep}
}

// minSweep is the smallest map size that triggers a sweep.
const minSweep = 1024

// take admits or refuses one request from this replica's view of its
// buckets, atomically over them, without any I/O.
func (s *local) take(buckets []gateway.Bucket) gateway.Decision {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.buckets)+len(buckets) > s.nextSweep {
		s.sweep(now)
	}
	var stArr [4]*bucket
	var tatArr [4]time.Duration
	states, next := stArr[:0], tatArr[:0]
	d := gateway.Decision{Allowed: true, Remaining: -1}
	for _, b := range buckets {
		st := s.buckets[b.Key]
		if st == nil {
			st = &bucket{key: b.Key}
			s.buckets[b.Key] = st
		}
		st.rate = b.Rate
		if !st.dirty {
			st.dirty = true
			s.dirty = append(s.dirty, st)
		}
		c := gcra(st.tat, now, b.Rate)
		states, next = append(states, st), append(next, c.tat)
		d = bind(d, c)
	}
	if d.Allowed {
		for i, st := range states {
			st.tat = next[i]
			st.pending++
		}
	}
	return d
}

// sweep forgets the buckets that are full again with nothing to send; if
// more than half the bound remain, it forgets every bucket (a flood of
// distinct keys): their counts not yet sent stay in the dirty list and
// still reach Redis. Called with mu held; amortised O(1) per bucket added.
func (s *local) sweep(now time.Duration) {
	for k, st := range s.buckets {
		if st.tat <= now && st.pending == 0 && st.sending == 0 && !st.dirty {
			delete(s.buckets, k)
		}
	}
	if len(s.buckets) > s.maxBuckets/2 {
		clear(s.buckets)
	}
	s.nextSweep = min(max(2*len(s.buckets), minSweep), s.maxBuckets)
}

// sync sends the counts of every bucket touched since the last
// synchronisation in one call to the store and takes back their state
// there. On failure the counts are dropped (see below) and the error
// reported (logged as report says), never returned to any request.
func (s *local) sync(ctx context.Context) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	s.mu.Lock()
	batch := s.dirty
	s.dirty = nil
	items := make([]syncItem, len(batch))
	for i, st := range batch {
		st.dirty = false
		st.sending, st.pending = st.pending, 0
		items[i] = syncItem{key: st.key, n: st.sending, rate: st.rate}
	}
	s.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	ahead, err := s.store(ctx, items)
	if len(ahead) != len(batch) {
		if err == nil {
			err = &iam.Error{Code: iam.CodeInternal, Op: "gatewayredis.sync", Message: "malformed rate limiter answer"}
		}
		ahead = nil
	}
	now := s.now()
	s.mu.Lock()
	for i, st := range batch {
		// A failed synchronisation's counts are dropped, not sent again: a
		// call that timed out may still reach Redis, and counting its
		// requests twice would refuse clients for an outage's length
		// afterwards. This replica's own view keeps them.
		if ahead != nil && ahead[i] >= 0 {
			// Redis's state, plus what was admitted here since the
			// counts left; never below this replica's own view.
			st.tat = max(st.tat, now+ahead[i]+time.Duration(st.pending)*interval(st.rate))
		}
		st.sending = 0
	}
	warn, recovered := s.report(err, now)
	s.mu.Unlock()
	switch {
	case warn:
		s.log.Warn("gateway: rate limits cannot be synchronised with Redis; each replica enforces them alone meanwhile",
			slog.String("error", err.Error()))
	case recovered:
		s.log.Info("gateway: rate limits synchronised with Redis again")
	}
	return err
}

// report decides what the outcome of a synchronisation logs: a warning
// when it starts failing and every warnEvery while it keeps failing, one
// line when it recovers. Called with mu held.
func (s *local) report(err error, now time.Duration) (warn, recovered bool) {
	if err == nil {
		recovered, s.failing = s.failing, false
		return false, recovered
	}
	if s.failing && now-s.lastWarn < warnEvery {
		return false, false
	}
	s.failing, s.lastWarn = true, now
	return true, false
}

// forget sweeps now (the periodic sweep).
func (s *local) forget() {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
}

// size is the number of buckets kept.
func (s *local) size() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.buckets)
}

func interval(r gateway.Rate) time.Duration { return r.Per / time.Duration(r.Requests) }

// cell is one bucket's GCRA outcome.
type cell struct {
	gateway.Decision
	tat time.Duration // the new theoretical arrival time if allowed
}

// gcra applies one request at now to a bucket whose theoretical arrival
// time is tat (0 or past: full), as gateway.MemoryLimiter and the take
// script do.
func gcra(tat, now time.Duration, r gateway.Rate) cell {
	iv := interval(r)
	tat = max(tat, now)
	newTAT := tat + iv
	if allowAt := newTAT - r.Per; allowAt > now {
		return cell{Decision: gateway.Decision{Allowed: false, Limit: r.Requests, Remaining: 0,
			ResetAfter: tat - now, RetryAfter: allowAt - now}}
	}
	remaining := int((r.Per - (newTAT - now)) / iv)
	return cell{tat: newTAT, Decision: gateway.Decision{Allowed: true, Limit: r.Requests, Remaining: remaining, ResetAfter: newTAT - now}}
}

// bind folds one bucket's outcome into the request's decision: a refusal
// binds over any allowance (the longest wait among refusals), and among
// allowances the fewest remaining.
func bind(d gateway.Decision, c cell) gateway.Decision {
	switch {
	case !c.Allowed && (d.Allowed || c.RetryAfter > d.RetryAfter):
		return c.Decision
	case d.Allowed && c.Allowed && (d.Remaining < 0 || c.Remaining < d.Remaining):
		return c.Decision
	}
	return d
}
