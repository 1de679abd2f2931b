package mfamem

import (
	"context"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
)

// Ephemeral is an in-memory mfa.EphemeralStore, safe for concurrent use.
// Expired records are dropped when they are next read or written, and by a
// sweep every thousand writes, so memory stays bounded by what is live.
type Ephemeral struct {
	now func() time.Time

	mu      sync.Mutex
	writes  int
	steps   map[string]stepRecord // realm/factor → last accepted step
	pending map[string]mfa.Challenge
	expires map[string]time.Time // challenge key → expiry
	sends   map[string]window
	fails   map[string]failRecord
}

type stepRecord struct {
	step    int64
	expires time.Time
}

type window struct {
	count int
	ends  time.Time
}

type failRecord struct {
	f       mfa.Failures
	expires time.Time
}

var _ mfa.EphemeralStore = (*Ephemeral)(nil)

// EphemeralOption configures an Ephemeral.
type EphemeralOption func(*Ephemeral)

// WithClock sets the clock of the TTLs (default time.Now).
func WithClock(now func() time.Time) EphemeralOption { return func(e *Ephemeral) { e.now = now } }

// NewEphemeral returns an empty Ephemeral.
func NewEphemeral(opts ...EphemeralOption) *Ephemeral {
	e := &Ephemeral{now: time.Now, steps: map[string]stepRecord{}, pending: map[string]mfa.Challenge{},
		expires: map[string]time.Time{}, sends: map[string]window{}, fails: map[string]failRecord{}}
	for _, o := range opts {
		o(e)
	}
	return e
}

func key(realm iam.Realm, id string) string { return string(realm) + "/" + id }

func checkTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return iam.Invalidf("ttl", "ttl must be positive")
	}
	return nil
}

// wrote counts a write under the lock and sweeps expired records now and
// then.
func (e *Ephemeral) wrote(now time.Time) {
	e.writes++
	if e.writes%1000 != 0 {
		return
	}
	for k, r := range e.steps {
		if !now.Before(r.expires) {
			delete(e.steps, k)
		}
	}
	for k, t := range e.expires {
		if !now.Before(t) {
			delete(e.expires, k)
			delete(e.pending, k)
		}
	}
	for k, w := range e.sends {
		if !now.Before(w.ends) {
			delete(e.sends, k)
		}
	}
	for k, f := range e.fails {
		if !now.Before(f.expires) {
			delete(e.fails, k)
		}
	}
}

// UseStep implements mfa.EphemeralStore.
func (e *Ephemeral) UseStep(_ context.Context, realm iam.Realm, factorID string, step int64, ttl time.Duration) (bool, error) {
	if err := checkTTL(ttl); err != nil {
		return false, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now, k := e.now(), key(realm, factorID)
	if r, ok := e.steps[k]; ok && now.Before(r.expires) && step <= r.step {
		return false, nil
	}
	e.steps[k] = stepRecord{step: step, expires: now.Add(ttl)}
	e.wrote(now)
	return true, nil
}

// SaveChallenge implements mfa.EphemeralStore.
func (e *Ephemeral) SaveChallenge(_ context.Context, c mfa.Challenge, ttl time.Duration) error {
	if err := checkTTL(ttl); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now, k := e.now(), key(c.Realm, c.UserID)
	c.Hash = append([]byte{}, c.Hash...)
	e.pending[k], e.expires[k] = c, now.Add(ttl)
	e.wrote(now)
	return nil
}

// challenge returns the live challenge of k under the lock.
func (e *Ephemeral) challenge(k string) (mfa.Challenge, bool) {
	c, ok := e.pending[k]
	if ok && !e.now().Before(e.expires[k]) {
		delete(e.pending, k)
		delete(e.expires, k)
		return mfa.Challenge{}, false
	}
	return c, ok
}

// AttemptChallenge implements mfa.EphemeralStore.
func (e *Ephemeral) AttemptChallenge(_ context.Context, realm iam.Realm, userID string) (mfa.Challenge, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := key(realm, userID)
	c, ok := e.challenge(k)
	if !ok {
		return mfa.Challenge{}, iam.NotFoundf("no pending code")
	}
	c.Attempts++
	e.pending[k] = c
	c.Hash = append([]byte{}, c.Hash...)
	return c, nil
}

// DeleteChallenge implements mfa.EphemeralStore.
func (e *Ephemeral) DeleteChallenge(_ context.Context, realm iam.Realm, userID, id string) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := key(realm, userID)
	c, ok := e.challenge(k)
	if !ok || c.ID != id {
		return false, nil
	}
	delete(e.pending, k)
	delete(e.expires, k)
	return true, nil
}

// CountSend implements mfa.EphemeralStore.
func (e *Ephemeral) CountSend(_ context.Context, realm iam.Realm, userID string, win time.Duration) (int, time.Duration, error) {
	if err := checkTTL(win); err != nil {
		return 0, 0, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now, k := e.now(), key(realm, userID)
	w, ok := e.sends[k]
	if !ok || !now.Before(w.ends) {
		w = window{ends: now.Add(win)}
	}
	w.count++
	e.sends[k] = w
	e.wrote(now)
	return w.count, w.ends.Sub(now), nil
}

// RecordFailure implements mfa.EphemeralStore.
func (e *Ephemeral) RecordFailure(_ context.Context, realm iam.Realm, userID string, at time.Time, resetAfter, ttl time.Duration) (mfa.Failures, error) {
	if err := checkTTL(ttl); err != nil {
		return mfa.Failures{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	now, k := e.now(), key(realm, userID)
	r, ok := e.fails[k]
	if !ok || !now.Before(r.expires) || at.Sub(r.f.Last) > resetAfter {
		r.f = mfa.Failures{}
	}
	r.f.Count++
	r.f.Last = at
	r.expires = now.Add(ttl)
	e.fails[k] = r
	e.wrote(now)
	return r.f, nil
}

// Failures implements mfa.EphemeralStore.
func (e *Ephemeral) Failures(_ context.Context, realm iam.Realm, userID string) (mfa.Failures, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.fails[key(realm, userID)]
	if !ok || !e.now().Before(r.expires) {
		return mfa.Failures{}, nil
	}
	return r.f, nil
}

// ClearFailures implements mfa.EphemeralStore.
func (e *Ephemeral) ClearFailures(_ context.Context, realm iam.Realm, userID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.fails, key(realm, userID))
	return nil
}

// ForgetUser implements mfa.EphemeralStore.
func (e *Ephemeral) ForgetUser(_ context.Context, realm iam.Realm, userID string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := key(realm, userID)
	delete(e.pending, k)
	delete(e.expires, k)
	delete(e.sends, k)
	delete(e.fails, k)
	return nil
}
