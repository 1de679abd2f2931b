package authmem

import (
	"context"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
)

// Store is an in-memory auth.TokenStore for the embedded default and tests:
// codes, refresh tokens, revocations, failure counters, login flows and SSO
// records live in maps
// guarded by one mutex, expire lazily and are swept at most once a minute.
// State is lost on restart (every refresh token with it, and every access
// token issued before: see auth.RevocationStore.AccessTokenRevoked). Safe for
// concurrent use.
type Store struct {
	now func() time.Time

	mu        sync.Mutex
	codes     map[rkey]expiring[auth.AuthCode]
	refresh   map[rkey]expiring[auth.RefreshToken]
	families  map[rkey]time.Time // revoked families, until
	sessions  map[rkey]time.Time // revoked sessions, until
	blacklist map[rkey]time.Time // revoked access-token ids, until
	userSess  map[rkey]map[string]time.Time
	failures  map[rkey]expiring[auth.LoginFailures]
	flows     map[rkey]expiring[auth.LoginFlow]
	browsers  map[rkey]expiring[auth.BrowserSession]
	epochs    map[iam.Realm]int64 // revocation epoch by realm, Unix seconds
	sweptAt   time.Time
}

var _ auth.TokenStore = (*Store)(nil)

// rkey scopes an id by realm.
type rkey struct {
	realm iam.Realm
	id    string
}

type expiring[T any] struct {
	v   T
	exp time.Time
}

// Option configures a Store.
type Option func(*Store)

// WithClock replaces time.Now for expiry (tests).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// New returns an empty Store.
func New(opts ...Option) *Store {
	s := &Store{
		now:       time.Now,
		codes:     make(map[rkey]expiring[auth.AuthCode]),
		refresh:   make(map[rkey]expiring[auth.RefreshToken]),
		families:  make(map[rkey]time.Time),
		sessions:  make(map[rkey]time.Time),
		blacklist: make(map[rkey]time.Time),
		userSess:  make(map[rkey]map[string]time.Time),
		failures:  make(map[rkey]expiring[auth.LoginFailures]),
		flows:     make(map[rkey]expiring[auth.LoginFlow]),
		browsers:  make(map[rkey]expiring[auth.BrowserSession]),
		epochs:    make(map[iam.Realm]int64),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// sweepLocked drops expired entries, at most once a minute.
func (s *Store) sweepLocked(now time.Time) {
	if now.Sub(s.sweptAt) < time.Minute {
		return
	}
	s.sweptAt = now
	for k, e := range s.codes {
		if !now.Before(e.exp) {
			delete(s.codes, k)
		}
	}
	for k, e := range s.refresh {
		if !now.Before(e.exp) {
			delete(s.refresh, k)
		}
	}
	for k, e := range s.failures {
		if !now.Before(e.exp) {
			delete(s.failures, k)
		}
	}
	sweep(s.flows, now)
	sweep(s.browsers, now)
	for _, m := range []map[rkey]time.Time{s.families, s.sessions, s.blacklist} {
		for k, until := range m {
			if !now.Before(until) {
				delete(m, k)
			}
		}
	}
	for k, m := range s.userSess {
		for sid, until := range m {
			if !now.Before(until) {
				delete(m, sid)
			}
		}
		if len(m) == 0 {
			delete(s.userSess, k)
		}
	}
}

// live reports whether a revocation-style entry is still in force.
func live(m map[rkey]time.Time, k rkey, now time.Time) bool {
	until, ok := m[k]
	return ok && now.Before(until)
}

// SaveCode stores c for ttl.
func (s *Store) SaveCode(_ context.Context, c auth.AuthCode, ttl time.Duration) error {
	if err := validTTL(ttl); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	k := rkey{c.Realm, c.Hash}
	if e, ok := s.codes[k]; ok && now.Before(e.exp) {
		return iam.Conflictf("code exists")
	}
	c.Redemption = nil
	s.codes[k] = expiring[auth.AuthCode]{c, now.Add(ttl)}
	return nil
}

// ConsumeCode redeems a code once; see auth.CodeStore.
func (s *Store) ConsumeCode(_ context.Context, realm iam.Realm, hash string, r auth.CodeRedemption, keep time.Duration) (auth.AuthCode, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	k := rkey{realm, hash}
	e, ok := s.codes[k]
	if !ok || !now.Before(e.exp) {
		return auth.AuthCode{}, iam.NotFoundf("code not found")
	}
	out := e.v
	if out.Redemption != nil {
		red := *out.Redemption
		out.Redemption = &red
		return out, nil
	}
	stored := e.v
	stored.Redemption = &r
	exp := e.exp
	if until := now.Add(keep); until.After(exp) {
		exp = until
	}
	s.codes[k] = expiring[auth.AuthCode]{stored, exp}
	return out, nil
}

// SaveRefresh stores the first token of a family.
func (s *Store) SaveRefresh(_ context.Context, t auth.RefreshToken, ttl time.Duration) error {
	if err := validTTL(ttl); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	k := rkey{t.Realm, t.Hash}
	if e, ok := s.refresh[k]; ok && now.Before(e.exp) {
		return iam.Conflictf("refresh token exists")
	}
	t.Rotated, t.Revoked = false, false
	s.refresh[k] = expiring[auth.RefreshToken]{t, now.Add(ttl)}
	if t.UserID != "" && t.SessionID != "" {
		uk := rkey{t.Realm, t.UserID}
		if s.userSess[uk] == nil {
			s.userSess[uk] = make(map[string]time.Time)
		}
		if until := now.Add(ttl); until.After(s.userSess[uk][t.SessionID]) {
			s.userSess[uk][t.SessionID] = until
		}
	}
	return nil
}

// stateLocked returns t with Revoked reflecting its family and session.
func (s *Store) stateLocked(t auth.RefreshToken, now time.Time) auth.RefreshToken {
	t.Revoked = live(s.families, rkey{t.Realm, t.Family}, now) ||
		(t.SessionID != "" && live(s.sessions, rkey{t.Realm, t.SessionID}, now))
	return t
}

// RotateRefresh exchanges a current token for next; see auth.RefreshStore.
func (s *Store) RotateRefresh(_ context.Context, realm iam.Realm, oldHash string, next auth.RefreshToken, ttl time.Duration) (auth.RefreshToken, error) {
	if err := validTTL(ttl); err != nil {
		return auth.RefreshToken{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	k := rkey{realm, oldHash}
	e, ok := s.refresh[k]
	if !ok || !now.Before(e.exp) {
		return auth.RefreshToken{}, iam.NotFoundf("refresh token not found")
	}
	old := s.stateLocked(e.v, now)
	if old.Rotated || old.Revoked {
		return old, nil
	}
	e.v.Rotated = true
	s.refresh[k] = e
	next.Realm, next.Rotated, next.Revoked = realm, false, false
	s.refresh[rkey{realm, next.Hash}] = expiring[auth.RefreshToken]{next, now.Add(ttl)}
	if next.UserID != "" && next.SessionID != "" {
		if m := s.userSess[rkey{realm, next.UserID}]; m != nil {
			if until := now.Add(ttl); until.After(m[next.SessionID]) {
				m[next.SessionID] = until
			}
		}
	}
	return old, nil
}

// GetRefresh returns a token with its current state.
func (s *Store) GetRefresh(_ context.Context, realm iam.Realm, hash string) (auth.RefreshToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e, ok := s.refresh[rkey{realm, hash}]
	if !ok || !now.Before(e.exp) {
		return auth.RefreshToken{}, iam.NotFoundf("refresh token not found")
	}
	return s.stateLocked(e.v, now), nil
}

func validTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return iam.Invalidf("ttl", "ttl must be positive")
	}
	return nil
}
