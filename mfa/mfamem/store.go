package mfamem

import (
	"context"
	"sort"
	"sync"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iammem"
	"github.com/opengate-iam/opengate/mfa"
)

// Store is an in-memory mfa.Store, safe for concurrent use. The zero value
// is not usable; call New.
type Store struct {
	once *iammem.Once

	mu     sync.Mutex
	realms map[iam.Realm]map[string]mfa.Factor // realm → factor id → factor
}

var _ mfa.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{once: iammem.NewOnce(0), realms: map[iam.Realm]map[string]mfa.Factor{}}
}

func notFound() error { return iam.NotFoundf("factor not found") }

// Create implements mfa.Store.
func (s *Store) Create(_ context.Context, f mfa.Factor) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	rf, ok := s.realms[f.Realm]
	if !ok {
		rf = map[string]mfa.Factor{}
		s.realms[f.Realm] = rf
	}
	if _, ok := rf[f.ID]; ok {
		return iam.Duplicatef("id", "a factor with this id already exists")
	}
	if f.Type == mfa.TypeRecoveryCodes {
		for _, other := range rf {
			if other.UserID == f.UserID && other.Type == mfa.TypeRecoveryCodes {
				return iam.Duplicatef("type", "the user has recovery codes already")
			}
		}
	}
	rf[f.ID] = f.Clone()
	return nil
}

// lookup returns the factor under the lock, or false.
func (s *Store) lookup(realm iam.Realm, userID, id string) (mfa.Factor, bool) {
	f, ok := s.realms[realm][id]
	if !ok || f.UserID != userID {
		return mfa.Factor{}, false
	}
	return f, true
}

// Get implements mfa.Store.
func (s *Store) Get(_ context.Context, realm iam.Realm, userID, id string) (mfa.Factor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.lookup(realm, userID, id)
	if !ok {
		return mfa.Factor{}, notFound()
	}
	return f.Clone(), nil
}

// List implements mfa.Store.
func (s *Store) List(_ context.Context, realm iam.Realm, userID string) ([]mfa.Factor, error) {
	s.mu.Lock()
	out := []mfa.Factor{}
	for _, f := range s.realms[realm] {
		if f.UserID == userID {
			out = append(out, f.Clone())
		}
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.Before(out[j].CreatedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Update implements mfa.Store: fn runs under the store's lock, so it must
// not call the store.
func (s *Store) Update(_ context.Context, realm iam.Realm, userID, id string, fn func(*mfa.Factor) error) (mfa.Factor, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok := s.lookup(realm, userID, id)
	if !ok {
		return mfa.Factor{}, notFound()
	}
	next := cur.Clone()
	if err := fn(&next); err != nil {
		return mfa.Factor{}, err
	}
	next.ID, next.Realm, next.UserID, next.Type = cur.ID, cur.Realm, cur.UserID, cur.Type
	s.realms[realm][id] = next.Clone()
	return next, nil
}

// Delete implements mfa.Store.
func (s *Store) Delete(_ context.Context, realm iam.Realm, userID, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.lookup(realm, userID, id); !ok {
		return notFound()
	}
	delete(s.realms[realm], id)
	return nil
}

// DeleteUser implements mfa.Store.
func (s *Store) DeleteUser(_ context.Context, realm iam.Realm, userID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, f := range s.realms[realm] {
		if f.UserID == userID {
			delete(s.realms[realm], id)
			n++
		}
	}
	return n, nil
}

// DeleteRealm implements mfa.Store.
func (s *Store) DeleteRealm(_ context.Context, realm iam.Realm) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.realms[realm])
	delete(s.realms, realm)
	return n, nil
}

// Once implements mfa.Store with iammem.Once: fn runs on this store, at
// most once per (consumer, event id) that succeeded, atomically with
// concurrent deliveries; the record is kept in memory only.
func (s *Store) Once(ctx context.Context, consumer, eventID string, fn func(mfa.Store) error) error {
	return s.once.Do(ctx, consumer, eventID, func() error { return fn(s) })
}
