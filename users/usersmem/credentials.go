package usersmem

import (
	"context"
	"slices"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// GetPassword implements users.Store.
func (s *Store) GetPassword(_ context.Context, realm iam.Realm, userID string) (users.Credential, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec := s.get(realm, userID)
	if rec == nil || rec.password == nil {
		return users.Credential{}, iam.NotFoundf("password not found")
	}
	return *rec.password, nil
}

// PasswordHistory implements users.Store.
func (s *Store) PasswordHistory(_ context.Context, realm iam.Realm, userID string, n int) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	rec := s.get(realm, userID)
	if rec == nil || n <= 0 {
		return []string{}, nil
	}
	return slices.Clone(rec.history[:min(n, len(rec.history))]), nil
}

// SetPassword implements users.Store.
func (s *Store) SetPassword(ctx context.Context, realm iam.Realm, userID string, c users.PasswordChange, events ...iam.Event) error {
	s.mu.Lock()
	rec := s.get(realm, userID)
	if rec == nil {
		s.mu.Unlock()
		return notFound()
	}
	next := *rec
	next.history = slices.Clone(rec.history)
	if rec.password != nil {
		next.history = append([]string{rec.password.Hash}, next.history...)
	}
	next.history = next.history[:min(max(c.KeepHistory, 0), len(next.history))]
	cred := c.Credential
	next.password = &cred
	if c.SetRequiredActions {
		next.user = rec.user.Clone()
		next.user.RequiredActions = slices.Clone(c.RequiredActions)
	}
	s.realm(realm, false).users[userID] = &next
	s.unlockAndPublish(ctx, events)
	return nil
}

// RehashPassword implements users.Store.
func (s *Store) RehashPassword(_ context.Context, realm iam.Realm, userID, oldHash, newHash string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec := s.get(realm, userID)
	if rec == nil || rec.password == nil || rec.password.Hash != oldHash {
		return iam.Conflictf("password changed")
	}
	cred := *rec.password
	cred.Hash = newHash
	next := *rec
	next.password = &cred
	s.realm(realm, false).users[userID] = &next
	return nil
}

// DeletePassword implements users.Store.
func (s *Store) DeletePassword(ctx context.Context, realm iam.Realm, userID, credID string, events ...iam.Event) error {
	s.mu.Lock()
	rec := s.get(realm, userID)
	if rec == nil || rec.password == nil || rec.password.ID != credID {
		s.mu.Unlock()
		return iam.NotFoundf("credential not found")
	}
	next := *rec
	next.password = nil
	s.realm(realm, false).users[userID] = &next
	s.unlockAndPublish(ctx, events)
	return nil
}

// CreateToken implements users.Store.
func (s *Store) CreateToken(ctx context.Context, t users.ActionToken, events ...iam.Event) error {
	s.mu.Lock()
	if s.get(t.Realm, t.UserID) == nil {
		s.mu.Unlock()
		return notFound()
	}
	r := s.realm(t.Realm, false)
	for h, old := range r.tokens {
		if old.UserID == t.UserID && (old.Action == t.Action || old.ExpiresAt.Before(t.CreatedAt)) {
			delete(r.tokens, h)
		}
	}
	r.tokens[t.Hash] = t
	s.unlockAndPublish(ctx, events)
	return nil
}

// GetToken implements users.Store.
func (s *Store) GetToken(_ context.Context, realm iam.Realm, hash string) (users.ActionToken, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.realm(realm, false)
	if r == nil {
		return users.ActionToken{}, iam.NotFoundf("token not found")
	}
	t, ok := r.tokens[hash]
	if !ok {
		return users.ActionToken{}, iam.NotFoundf("token not found")
	}
	return t, nil
}

// ConsumeToken implements users.Store.
func (s *Store) ConsumeToken(_ context.Context, realm iam.Realm, hash string) (users.ActionToken, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.realm(realm, false)
	if r == nil {
		return users.ActionToken{}, iam.NotFoundf("token not found")
	}
	t, ok := r.tokens[hash]
	if !ok {
		return users.ActionToken{}, iam.NotFoundf("token not found")
	}
	delete(r.tokens, hash)
	return t, nil
}
