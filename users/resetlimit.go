package users

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

// Limiter counts events per key in fixed windows: the first event of a key
// opens a window of the given length, and the count starts again after
// it. NewMemoryLimiter counts in one process; usersredis.Limiter counts in
// Redis, shared by every replica of a deployment. Implementations pass
// userstest.RunLimiter.
type Limiter interface {
	// Hit counts one event under key and returns how many there have been
	// in key's current window (this one included) and how long until the
	// window ends. An error (CodeUnavailable) means nothing is known: the
	// caller refuses the request.
	Hit(ctx context.Context, key string, window time.Duration) (n int, resetIn time.Duration, err error)
}

// ResetLimits bound self-service password-reset requests
// (RequestPasswordReset).
type ResetLimits struct {
	// PerLogin is how many requests one username or email address — as
	// typed, normalised, whether or not such a user exists — may make per
	// Window. It bounds the mail a victim receives and how often their
	// link can be replaced.
	PerLogin int
	// PerIP is how many requests one caller address (iam.ClientIP) may
	// make per Window, over every login and realm.
	PerIP int
	// Window is the length of the counting windows.
	Window time.Duration
}

// DefaultResetLimits are 5 requests per login and 30 per address per 15
// minutes.
func DefaultResetLimits() ResetLimits {
	return ResetLimits{PerLogin: 5, PerIP: 30, Window: 15 * time.Minute}
}

// WithResetLimits counts password-reset requests with l (default: a
// NewMemoryLimiter per Service, which each replica counts alone; give every
// replica the same usersredis.Limiter to count them together) under limits
// (zero fields keep DefaultResetLimits' values).
func WithResetLimits(l Limiter, limits ResetLimits) Option {
	return func(s *Service) {
		def := DefaultResetLimits()
		if limits.PerLogin <= 0 {
			limits.PerLogin = def.PerLogin
		}
		if limits.PerIP <= 0 {
			limits.PerIP = def.PerIP
		}
		if limits.Window <= 0 {
			limits.Window = def.Window
		}
		s.resetLimiter, s.resetLimits = l, limits
	}
}

// limitReset counts a reset request for login from the caller address in
// ctx, and returns CodeRateLimited with the time until the window ends
// when the address or the login has made too many.
func (s *Service) limitReset(ctx context.Context, realm iam.Realm, login string) error {
	l := s.resetLimits
	if ip := iam.ClientIP(ctx); ip != "" {
		if err := s.hit(ctx, "reset-ip:"+ip, l.PerIP, l.Window); err != nil {
			return err
		}
	}
	// The login is hashed: keys name no username or address in clear.
	key := iamcrypto.SHA256(string(realm) + "\x00" + NormalizeUsername(login))
	return s.hit(ctx, "reset-login:"+hex.EncodeToString(key), l.PerLogin, l.Window)
}

// hit counts one event under key and refuses it beyond limit per window.
func (s *Service) hit(ctx context.Context, key string, limit int, window time.Duration) error {
	n, resetIn, err := s.resetLimiter.Hit(ctx, key, window)
	if err != nil {
		return err
	}
	if n <= limit {
		return nil
	}
	resetIn = max(resetIn, time.Second)
	return &iam.Error{Code: iam.CodeRateLimited,
		Message: fmt.Sprintf("too many password reset requests: try again in %d seconds", int64(math.Ceil(resetIn.Seconds()))),
		Err:     &iam.RetryAfterError{After: resetIn}}
}

// DefaultResetWorkers bounds how many accepted reset requests are looked up
// and answered at once in the background by default; beyond it a request
// is dropped (and logged): the per-address and per-login limits keep that
// for floods.
const DefaultResetWorkers = 16

// resetWorkTimeout bounds one request's background work.
const resetWorkTimeout = 30 * time.Second

// WithResetRunner sets how the work of an accepted reset request (the
// lookup, the token, the event) runs: run must call work, now or later.
// The default runs it in the background, at most DefaultResetWorkers at
// once. Tests give a runner that calls work at once, to see its effects
// when RequestPasswordReset returns.
func WithResetRunner(run func(work func())) Option {
	return func(s *Service) { s.resetRun = run }
}

// backgroundRunner runs work in goroutines, at most n at once; beyond, it
// drops the work and logs it.
func backgroundRunner(n int, log *slog.Logger) func(func()) {
	slots := make(chan struct{}, n)
	return func(work func()) {
		select {
		case slots <- struct{}{}:
			go func() {
				defer func() { <-slots }()
				work()
			}()
		default:
			log.Warn("password reset request dropped: too many in progress")
		}
	}
}

// MemoryLimiter is a Limiter in one process's memory. It keeps at most
// maxKeys windows: beyond that, ended windows are dropped, then the
// oldest ones (an attacker rotating keys cannot make it grow). Safe for
// concurrent use.
type MemoryLimiter struct {
	now     func() time.Time
	maxKeys int

	mu      sync.Mutex
	windows map[string]window
}

type window struct {
	n   int
	end time.Time
}

var _ Limiter = (*MemoryLimiter)(nil)

// DefaultLimiterKeys is how many keys a MemoryLimiter keeps by default.
const DefaultLimiterKeys = 100_000

// NewMemoryLimiter returns an empty MemoryLimiter reading time from now
// (nil: time.Now) and keeping at most maxKeys windows (<= 0:
// DefaultLimiterKeys).
func NewMemoryLimiter(now func() time.Time, maxKeys int) *MemoryLimiter {
	if now == nil {
		now = time.Now
	}
	if maxKeys <= 0 {
		maxKeys = DefaultLimiterKeys
	}
	return &MemoryLimiter{now: now, maxKeys: maxKeys, windows: map[string]window{}}
}

// Hit implements Limiter.
func (l *MemoryLimiter) Hit(_ context.Context, key string, length time.Duration) (int, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w, ok := l.windows[key]
	if !ok || !now.Before(w.end) {
		if !ok && len(l.windows) >= l.maxKeys {
			l.evictLocked(now)
		}
		w = window{end: now.Add(length)}
	}
	w.n++
	l.windows[key] = w
	return w.n, w.end.Sub(now), nil
}

// evictLocked drops ended windows and, if none had ended, the one ending
// first.
func (l *MemoryLimiter) evictLocked(now time.Time) {
	var first string
	for k, w := range l.windows {
		if !now.Before(w.end) {
			delete(l.windows, k)
		} else if first == "" || w.end.Before(l.windows[first].end) {
			first = k
		}
	}
	if len(l.windows) >= l.maxKeys && first != "" {
		delete(l.windows, first)
	}
}
