package authverify

import (
	"context"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// JWKSFunc returns a realm's JWKS document, for example
// (*auth.Service).JWKS when the issuer runs in the same process.
type JWKSFunc func(ctx context.Context, realm iam.Realm) ([]byte, error)

// LocalKeys is a KeySource over a JWKSFunc that keeps each realm's parsed set
// for ttl; Refresh (after an unknown kid) re-reads at once, Invalidate (on
// realm events) drops the realm's set.
type LocalKeys struct {
	fetch JWKSFunc
	ttl   time.Duration
	now   func() time.Time

	mu    sync.Mutex
	sets  map[iam.Realm]localSet
	epoch uint64 // bumped by Invalidate, so a read that raced it is not cached
}

type localSet struct {
	set     *KeySet
	fetched time.Time
}

var _ KeySource = (*LocalKeys)(nil)

// NewLocalKeys returns a LocalKeys caching for ttl (a minute if ttl <= 0).
func NewLocalKeys(fetch JWKSFunc, ttl time.Duration) *LocalKeys {
	if ttl <= 0 {
		ttl = time.Minute
	}
	return &LocalKeys{fetch: fetch, ttl: ttl, now: time.Now, sets: map[iam.Realm]localSet{}}
}

// KeySet returns the cached set of realm, reading it when absent or stale.
func (l *LocalKeys) KeySet(ctx context.Context, realm iam.Realm) (*KeySet, error) {
	l.mu.Lock()
	cached, ok := l.sets[realm]
	l.mu.Unlock()
	if ok && l.now().Sub(cached.fetched) < l.ttl {
		return cached.set, nil
	}
	return l.Refresh(ctx, realm)
}

// Refresh reads realm's set now.
func (l *LocalKeys) Refresh(ctx context.Context, realm iam.Realm) (*KeySet, error) {
	l.mu.Lock()
	epoch := l.epoch
	l.mu.Unlock()
	raw, err := l.fetch(ctx, realm)
	if err != nil {
		return nil, err
	}
	set, err := ParseJWKS(raw)
	if err != nil {
		return nil, iam.Wrap("authverify.LocalKeys", err)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.epoch != epoch {
		return set, nil
	}
	if len(l.sets) >= maxRealms {
		clear(l.sets)
	}
	l.sets[realm] = localSet{set: set, fetched: l.now()}
	return set, nil
}

// Invalidate drops realm's cached set.
func (l *LocalKeys) Invalidate(realm iam.Realm) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.sets, realm)
	l.epoch++
}
