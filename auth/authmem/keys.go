package authmem

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
)

// KeyStore is an in-memory auth.KeyStore: keys live as long as the process
// (tokens do not survive a restart in the embedded default anyway). Safe for
// concurrent use.
type KeyStore struct {
	mu   sync.Mutex
	keys map[iam.Realm][]auth.Key
}

var _ auth.KeyStore = (*KeyStore)(nil)

// NewKeyStore returns an empty KeyStore.
func NewKeyStore() *KeyStore {
	return &KeyStore{keys: make(map[iam.Realm][]auth.Key)}
}

// ListKeys returns every key of realm, newest first.
func (s *KeyStore) ListKeys(_ context.Context, realm iam.Realm) ([]auth.Key, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]auth.Key(nil), s.keys[realm]...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.After(out[j].CreatedAt) })
	return out, nil
}

// ActivateKey makes next the realm's active key if the realm's active key is
// replaces ("" = none); CodeConflict otherwise.
func (s *KeyStore) ActivateKey(_ context.Context, next auth.Key, replaces string, keepUntil time.Time) error {
	if err := next.Realm.Validate(); err != nil {
		return err
	}
	if next.ID == "" || next.Private == nil || !next.Active() {
		return iam.Invalidf("key", "an active key with id and private key is required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := s.keys[next.Realm]
	active := -1
	for i, k := range keys {
		if k.ID == next.ID {
			return iam.Conflictf("key %s exists", next.ID)
		}
		if k.Active() {
			active = i
		}
	}
	switch {
	case replaces == "" && active >= 0,
		replaces != "" && (active < 0 || keys[active].ID != replaces):
		return iam.Conflictf("the realm's active key has changed")
	}
	if active >= 0 {
		keys[active].RetiredAt = next.CreatedAt
		keys[active].ExpiresAt = keepUntil
	}
	s.keys[next.Realm] = append(keys, next)
	return nil
}

// DeleteRealmKeys deletes every key of realm.
func (s *KeyStore) DeleteRealmKeys(_ context.Context, realm iam.Realm) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, realm)
	return nil
}

// DeleteExpiredKeys deletes realm's retired keys that expired before t.
func (s *KeyStore) DeleteExpiredKeys(_ context.Context, realm iam.Realm, t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	kept := s.keys[realm][:0]
	for _, k := range s.keys[realm] {
		if k.Active() || !k.ExpiresAt.Before(t) {
			kept = append(kept, k)
		}
	}
	s.keys[realm] = kept
	return nil
}
