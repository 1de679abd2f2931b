package auth

import (
	"context"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// epochRecheck is how long the token service trusts that a realm's
// revocation epoch exists after it last made sure (TokenStore.EnsureEpoch).
// Tokens issued in this window right after the store lost its state are
// refused once the loss is noticed: fail closed, and rare.
const epochRecheck = 30 * time.Second

// epochs remembers when each realm's revocation epoch was last ensured, so
// that issuing a token costs a store round trip at most every epochRecheck.
type epochs struct {
	mu      sync.Mutex
	ensured map[iam.Realm]time.Time
}

// ensure makes sure realm has a revocation epoch before a token is issued
// in it.
func (s *Service) ensureEpoch(ctx context.Context, realm iam.Realm) error {
	now := time.Now()
	s.epochs.mu.Lock()
	last, ok := s.epochs.ensured[realm]
	s.epochs.mu.Unlock()
	if ok && now.Sub(last) < epochRecheck {
		return nil
	}
	if err := s.tokens.EnsureEpoch(ctx, realm); err != nil {
		return iam.Wrap("auth.ensureEpoch", err)
	}
	s.epochs.mu.Lock()
	if s.epochs.ensured == nil {
		s.epochs.ensured = make(map[iam.Realm]time.Time)
	}
	s.epochs.ensured[realm] = now
	s.epochs.mu.Unlock()
	return nil
}

// forgetEpoch drops what is known of realm's epoch (the realm was deleted,
// and its epoch with it).
func (s *Service) forgetEpoch(realm iam.Realm) {
	s.epochs.mu.Lock()
	delete(s.epochs.ensured, realm)
	s.epochs.mu.Unlock()
}
