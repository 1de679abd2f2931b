package authmem

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
)

// revokeLocked records a revocation of k until now+ttl, never shortening one.
func revokeLocked(m map[rkey]time.Time, k rkey, now time.Time, ttl time.Duration) {
	if until := now.Add(ttl); until.After(m[k]) {
		m[k] = until
	}
}

// RevokeFamily revokes every refresh token of family.
func (s *Store) RevokeFamily(_ context.Context, realm iam.Realm, family string, ttl time.Duration) error {
	if err := validTTL(ttl); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	revokeLocked(s.families, rkey{realm, family}, s.now(), ttl)
	return nil
}

// RevokeSession revokes session sid.
func (s *Store) RevokeSession(_ context.Context, realm iam.Realm, sid string, ttl time.Duration) error {
	if err := validTTL(ttl); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	revokeLocked(s.sessions, rkey{realm, sid}, s.now(), ttl)
	return nil
}

// RevokeUserSessions revokes every recorded session of userID but keep.
func (s *Store) RevokeUserSessions(_ context.Context, realm iam.Realm, userID, keep string, ttl time.Duration) ([]string, error) {
	if err := validTTL(ttl); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	uk := rkey{realm, userID}
	var sids []string
	for sid := range s.userSess[uk] {
		if sid == keep {
			continue
		}
		revokeLocked(s.sessions, rkey{realm, sid}, now, ttl)
		delete(s.userSess[uk], sid)
		sids = append(sids, sid)
	}
	if len(s.userSess[uk]) == 0 {
		delete(s.userSess, uk)
	}
	return sids, nil
}

// RevokeAccessToken blacklists jti.
func (s *Store) RevokeAccessToken(_ context.Context, realm iam.Realm, jti string, ttl time.Duration) error {
	if err := validTTL(ttl); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	revokeLocked(s.blacklist, rkey{realm, jti}, s.now(), ttl)
	return nil
}

// AccessTokenRevoked reports whether jti is blacklisted, session sid
// revoked, or issuedAt before the realm's epoch.
func (s *Store) AccessTokenRevoked(_ context.Context, realm iam.Realm, jti, sid string, issuedAt time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	return issuedAt.Unix() < s.epochLocked(realm, now) ||
		live(s.blacklist, rkey{realm, jti}, now) ||
		(sid != "" && live(s.sessions, rkey{realm, sid}, now)), nil
}

// EnsureEpoch records realm's epoch unless it has one. A memory store's
// state begins with the store, so an epoch is never earlier than New.
func (s *Store) EnsureEpoch(_ context.Context, realm iam.Realm) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epochLocked(realm, s.now())
	return nil
}

// epochLocked returns realm's epoch in Unix seconds, recording now as the
// epoch if it has none.
func (s *Store) epochLocked(realm iam.Realm, now time.Time) int64 {
	e, ok := s.epochs[realm]
	if !ok {
		e = now.Unix()
		s.epochs[realm] = e
	}
	return e
}

// RecordLoginFailure counts a failure; see auth.FailureStore.
func (s *Store) RecordLoginFailure(_ context.Context, realm iam.Realm, key, ip string, now time.Time, resetAfter, ttl time.Duration) (auth.LoginFailures, error) {
	if err := validTTL(ttl); err != nil {
		return auth.LoginFailures{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweepLocked(s.now())
	k := rkey{realm, key}
	lf := s.failuresLocked(k)
	if resetAfter > 0 && !lf.LastFailure.IsZero() && now.Sub(lf.LastFailure) > resetAfter {
		lf.NumFailures = 0
	}
	lf.NumFailures++
	lf.LastFailure = now
	lf.LastIPFailure = ip
	s.failures[k] = expiring[auth.LoginFailures]{lf, s.now().Add(ttl)}
	return lf, nil
}

func (s *Store) failuresLocked(k rkey) auth.LoginFailures {
	e, ok := s.failures[k]
	if !ok || !s.now().Before(e.exp) {
		return auth.LoginFailures{}
	}
	return e.v
}

// LoginFailures returns the record of key (zero if none).
func (s *Store) LoginFailures(_ context.Context, realm iam.Realm, key string) (auth.LoginFailures, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failuresLocked(rkey{realm, key}), nil
}

// ClearLoginFailures deletes the record of key.
func (s *Store) ClearLoginFailures(_ context.Context, realm iam.Realm, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.failures, rkey{realm, key})
	return nil
}

// DeleteRealm deletes every record of realm.
func (s *Store) DeleteRealm(_ context.Context, realm iam.Realm) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	deleteRealm(s.codes, realm)
	deleteRealm(s.refresh, realm)
	deleteRealm(s.families, realm)
	deleteRealm(s.sessions, realm)
	deleteRealm(s.blacklist, realm)
	deleteRealm(s.userSess, realm)
	deleteRealm(s.failures, realm)
	deleteRealm(s.flows, realm)
	deleteRealm(s.browsers, realm)
	delete(s.epochs, realm)
	return nil
}

func deleteRealm[V any](m map[rkey]V, realm iam.Realm) {
	for k := range m {
		if k.realm == realm {
			delete(m, k)
		}
	}
}
