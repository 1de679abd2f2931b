package gateway

import (
	"context"
	"sync"
	"time"
)

// MemoryLimiter is a Limiter in this process's memory: the limits hold per
// gateway process (use gatewayredis to share them between replicas). It
// keeps one timestamp per active bucket and forgets buckets that are full
// again.
type MemoryLimiter struct {
	base time.Time
	now  func() time.Duration

	mu        sync.Mutex
	tat       map[string]time.Duration // theoretical arrival time, since base
	lastSweep time.Duration
}

var _ Limiter = (*MemoryLimiter)(nil)

// maxMemoryBuckets bounds a MemoryLimiter: beyond it (after forgetting
// the full buckets) every bucket is forgotten.
const maxMemoryBuckets = 1 << 20

// NewMemoryLimiter returns an empty MemoryLimiter.
func NewMemoryLimiter() *MemoryLimiter {
	l := &MemoryLimiter{base: time.Now(), tat: map[string]time.Duration{}}
	l.now = func() time.Duration { return time.Since(l.base) }
	return l
}

// Take implements Limiter with GCRA (see Rate), atomically over buckets.
// It never fails.
func (l *MemoryLimiter) Take(_ context.Context, buckets []Bucket) (Decision, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	var next [4]time.Duration
	newTAT := next[:0]
	d := Decision{Allowed: true, Remaining: -1}
	for _, b := range buckets {
		r := gcra(l.tat[b.Key], now, b.Rate)
		newTAT = append(newTAT, r.tat)
		d = bind(d, r)
	}
	if d.Allowed {
		for i, b := range buckets {
			l.tat[b.Key] = newTAT[i]
		}
	}
	if now-l.lastSweep > time.Minute || len(l.tat) > maxMemoryBuckets {
		l.sweep(now)
	}
	return d, nil
}

// sweep forgets full buckets (whose TAT has passed), and every bucket if
// too many remain.
func (l *MemoryLimiter) sweep(now time.Duration) {
	l.lastSweep = now
	for k, t := range l.tat {
		if t <= now {
			delete(l.tat, k)
		}
	}
	if len(l.tat) > maxMemoryBuckets {
		clear(l.tat)
	}
}

// cell is one bucket's GCRA outcome.
type cell struct {
	Decision
	tat time.Duration // the new theoretical arrival time if allowed
}

// gcra applies one request at now to a bucket whose theoretical arrival
// time is tat (0 or past: full).
func gcra(tat, now time.Duration, r Rate) cell {
	interval := r.Per / time.Duration(r.Requests)
	if tat < now {
		tat = now
	}
	newTAT := tat + interval
	allowAt := newTAT - r.Per
	if allowAt > now {
		return cell{Decision: Decision{Allowed: false, Limit: r.Requests, Remaining: 0,
			ResetAfter: tat - now, RetryAfter: allowAt - now}}
	}
	remaining := int((r.Per - (newTAT - now)) / interval)
	return cell{tat: newTAT, Decision: Decision{Allowed: true, Limit: r.Requests, Remaining: remaining, ResetAfter: newTAT - now}}
}

// bind folds one bucket's outcome into the request's decision: a refusal
// binds over any allowance (the longest wait among refusals), and among
// allowances the fewest remaining.
func bind(d Decision, c cell) Decision {
	switch {
	case !c.Allowed && (d.Allowed || c.RetryAfter > d.RetryAfter):
		return c.Decision
	case d.Allowed && c.Allowed && (d.Remaining < 0 || c.Remaining < d.Remaining):
		return c.Decision
	}
	return d
}
