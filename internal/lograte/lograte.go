// Package lograte keeps repeated failures from flooding the log: a failure
// that repeats is logged once per interval, the interval doubling while it
// goes on, with how often it happened in between.
//
//	var lim = lograte.New(time.Second, time.Minute)
//	for {
//		if err := fetch(); err != nil {
//			lim.Log(ctx, log, slog.LevelWarn, "fetch failed: "+err.Error(), "fetch failed", slog.String("error", err.Error()))
//			continue
//		}
//		lim.Reset(ctx, log, "fetch failed: ...") // logs "... recovered" if it had failed
//	}
//
// It is internal: iamkafka and iampg use it for their consumers, relays and
// the franz-go client's own log.
package lograte

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// maxKeys bounds how many distinct failures a Limiter remembers; beyond it
// the least recently seen is forgotten (and logged again at its next
// occurrence).
const maxKeys = 256

// Limiter logs each distinct failure (by key) at most once per interval: at
// once the first time, then, while it keeps happening, after min, 2·min,
// 4·min ... up to max, each line with the attribute repeated = how many
// occurrences were not logged since the previous line. A Limiter is safe
// for concurrent use; the zero value is not usable, use New.
type Limiter struct {
	min, max time.Duration
	now      func() time.Time

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	next       time.Time     // the next occurrence at or after this is logged
	interval   time.Duration // the current wait between lines
	suppressed int           // occurrences not logged since the last line
	seen       time.Time     // last occurrence, for eviction
}

// New returns a Limiter whose interval starts at first and doubles up to
// most.
func New(first, most time.Duration) *Limiter {
	return &Limiter{min: first, max: max(first, most), now: time.Now, entries: map[string]*entry{}}
}

// Log logs msg with attrs at level to log, unless the failure key was
// logged less than its interval ago; then it only counts it. The line
// carries repeated=n when n occurrences were counted since the previous
// one. It reports whether it logged.
func (l *Limiter) Log(ctx context.Context, log *slog.Logger, level slog.Level, key, msg string, attrs ...slog.Attr) bool {
	if !log.Enabled(ctx, level) {
		return false
	}
	now := l.now()
	l.mu.Lock()
	e, ok := l.entries[key]
	if !ok {
		l.evictLocked()
		e = &entry{interval: l.min}
		l.entries[key] = e
	}
	e.seen = now
	if now.Before(e.next) {
		e.suppressed++
		l.mu.Unlock()
		return false
	}
	suppressed := e.suppressed
	e.suppressed = 0
	e.next = now.Add(e.interval)
	e.interval = min(2*e.interval, l.max)
	l.mu.Unlock()
	if suppressed > 0 {
		attrs = append(attrs, slog.Int("repeated", suppressed))
	}
	log.LogAttrs(ctx, level, msg, attrs...)
	return true
}

// Reset forgets the failure key, so its next occurrence is logged at once.
// When occurrences went unlogged since its last line, it logs at Info that
// they stopped: msg with repeated=n.
func (l *Limiter) Reset(ctx context.Context, log *slog.Logger, key, msg string, attrs ...slog.Attr) {
	l.mu.Lock()
	e, ok := l.entries[key]
	delete(l.entries, key)
	l.mu.Unlock()
	if ok && e.suppressed > 0 {
		log.LogAttrs(ctx, slog.LevelInfo, msg, append(attrs, slog.Int("repeated", e.suppressed))...)
	}
}

// Forget forgets the failure key without logging.
func (l *Limiter) Forget(key string) {
	l.mu.Lock()
	delete(l.entries, key)
	l.mu.Unlock()
}

// evictLocked makes room for one more key.
func (l *Limiter) evictLocked() {
	if len(l.entries) < maxKeys {
		return
	}
	var oldest string
	var at time.Time
	for k, e := range l.entries {
		if oldest == "" || e.seen.Before(at) {
			oldest, at = k, e.seen
		}
	}
	delete(l.entries, oldest)
}
