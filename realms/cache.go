package realms

import (
	"context"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Getter reads one realm. *Service, *CachedGetter and the remote
// realmshttp.Client implement it; services that read realm settings declare
// it (or their own copy) as their dependency.
type Getter interface {
	// Get returns the realm called name, or CodeNotFound.
	Get(ctx context.Context, name iam.Realm) (Realm, error)
}

// DefaultCacheTTL bounds how long a cached realm is served without an
// invalidation: a safety net for lost events.
const DefaultCacheTTL = time.Minute

// CachedGetter serves Get from memory in front of another Getter (typically
// the remote realmshttp.Client). Entries are dropped by Invalidate — wire it
// to realm.updated and realm.deleted with realmskafka.RunCacheInvalidation —
// and expire after the TTL in any case. Errors, including not-found, are never
// cached. Callers get copies. A CachedGetter is safe for concurrent use.
type CachedGetter struct {
	next Getter
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	entries map[iam.Realm]cacheEntry
	epoch   uint64 // bumped by every invalidation, so a slow load cannot store stale data
}

type cacheEntry struct {
	realm   Realm
	expires time.Time
}

var _ Getter = (*CachedGetter)(nil)

// CacheOption configures a CachedGetter.
type CacheOption func(*CachedGetter)

// WithTTL sets how long an entry is served (DefaultCacheTTL by default); a
// ttl <= 0 keeps the default.
func WithTTL(ttl time.Duration) CacheOption {
	return func(c *CachedGetter) {
		if ttl > 0 {
			c.ttl = ttl
		}
	}
}

// WithCacheClock sets the clock used for expiry (tests).
func WithCacheClock(now func() time.Time) CacheOption {
	return func(c *CachedGetter) { c.now = now }
}

// NewCachedGetter returns a cache in front of next.
func NewCachedGetter(next Getter, opts ...CacheOption) *CachedGetter {
	c := &CachedGetter{next: next, ttl: DefaultCacheTTL, now: time.Now, entries: map[iam.Realm]cacheEntry{}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Get returns the cached realm, or loads it from the next Getter and caches
// it.
func (c *CachedGetter) Get(ctx context.Context, name iam.Realm) (Realm, error) {
	c.mu.Lock()
	e, ok := c.entries[name]
	epoch := c.epoch
	now := c.now()
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.realm.Clone(), nil
	}
	r, err := c.next.Get(ctx, name)
	if err != nil {
		return Realm{}, err
	}
	c.mu.Lock()
	if c.epoch == epoch {
		c.entries[name] = cacheEntry{realm: r.Clone(), expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return r, nil
}

// Invalidate drops the cached copy of realm name, and makes loads that
// started before the call not cache what they read.
func (c *CachedGetter) Invalidate(name iam.Realm) {
	c.mu.Lock()
	delete(c.entries, name)
	c.epoch++
	c.mu.Unlock()
}

// InvalidateAll empties the cache.
func (c *CachedGetter) InvalidateAll() {
	c.mu.Lock()
	c.entries = map[iam.Realm]cacheEntry{}
	c.epoch++
	c.mu.Unlock()
}
