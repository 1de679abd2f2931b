package authmem

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
)

// sweep drops the expired entries of m.
func sweep[T any](m map[rkey]expiring[T], now time.Time) {
	for k, e := range m {
		if !now.Before(e.exp) {
			delete(m, k)
		}
	}
}

// SaveLoginFlow stores a new flow for ttl.
func (s *Store) SaveLoginFlow(_ context.Context, f auth.LoginFlow, ttl time.Duration) error {
	return s.putFlow(f, ttl, false)
}

// UpdateLoginFlow replaces a stored flow.
func (s *Store) UpdateLoginFlow(_ context.Context, f auth.LoginFlow, ttl time.Duration) error {
	return s.putFlow(f, ttl, true)
}

func (s *Store) putFlow(f auth.LoginFlow, ttl time.Duration, existing bool) error {
	if err := validTTL(ttl); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	k := rkey{f.Realm, f.ID}
	e, ok := s.flows[k]
	ok = ok && now.Before(e.exp)
	switch {
	case existing && !ok:
		return iam.NotFoundf("login flow not found")
	case !existing && ok:
		return iam.Conflictf("login flow exists")
	}
	s.flows[k] = expiring[auth.LoginFlow]{f, now.Add(ttl)}
	return nil
}

// GetLoginFlow returns a flow; CodeNotFound if absent or expired.
func (s *Store) GetLoginFlow(_ context.Context, realm iam.Realm, id string) (auth.LoginFlow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.flows[rkey{realm, id}]
	if !ok || !s.now().Before(e.exp) {
		return auth.LoginFlow{}, iam.NotFoundf("login flow not found")
	}
	return e.v, nil
}

// TakeLoginFlow deletes and returns a flow, once.
func (s *Store) TakeLoginFlow(_ context.Context, realm iam.Realm, id string) (auth.LoginFlow, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := rkey{realm, id}
	e, ok := s.flows[k]
	delete(s.flows, k)
	if !ok || !s.now().Before(e.exp) {
		return auth.LoginFlow{}, iam.NotFoundf("login flow not found")
	}
	return e.v, nil
}

// SaveBrowserSession stores b for ttl and records its session among the
// user's.
func (s *Store) SaveBrowserSession(_ context.Context, b auth.BrowserSession, ttl time.Duration) error {
	if err := validTTL(ttl); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.sweepLocked(now)
	k := rkey{b.Realm, b.Hash}
	if e, ok := s.browsers[k]; ok && now.Before(e.exp) {
		return iam.Conflictf("browser session exists")
	}
	b.Revoked = false
	s.browsers[k] = expiring[auth.BrowserSession]{b, now.Add(ttl)}
	if b.UserID != "" && b.SessionID != "" {
		uk := rkey{b.Realm, b.UserID}
		if s.userSess[uk] == nil {
			s.userSess[uk] = make(map[string]time.Time)
		}
		if until := now.Add(ttl); until.After(s.userSess[uk][b.SessionID]) {
			s.userSess[uk][b.SessionID] = until
		}
	}
	return nil
}

// GetBrowserSession returns a record with Revoked reflecting its session.
func (s *Store) GetBrowserSession(_ context.Context, realm iam.Realm, hash string) (auth.BrowserSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	e, ok := s.browsers[rkey{realm, hash}]
	if !ok || !now.Before(e.exp) {
		return auth.BrowserSession{}, iam.NotFoundf("browser session not found")
	}
	b := e.v
	b.Revoked = live(s.sessions, rkey{realm, b.SessionID}, now)
	return b, nil
}

// DeleteBrowserSession deletes a record.
func (s *Store) DeleteBrowserSession(_ context.Context, realm iam.Realm, hash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.browsers, rkey{realm, hash})
	return nil
}
