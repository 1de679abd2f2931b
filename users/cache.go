package users

import (
	"context"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Defaults of the user caches (WithCache and NewCachedGetter).
const (
	// DefaultCacheTTL bounds how long a cached user is served without an
	// invalidation. Changes made through the caching Service are seen at
	// once, changes whose events reach the cache as soon as they arrive;
	// the TTL bounds what a lost event, or a process that consumes no
	// events, can serve: a user disabled or deleted by another process is
	// refused at the latest ten seconds later.
	DefaultCacheTTL = 10 * time.Second
	// DefaultCacheSize bounds the number of cached users (over all
	// realms). A full cache evicts an arbitrary entry for each new one.
	DefaultCacheSize = 10_000
)

// Getter reads one user by id, CodeNotFound if there is none. *Service,
// *CachedGetter and the remote usershttp.Client implement it.
type Getter interface {
	Get(ctx context.Context, realm iam.Realm, id string) (User, error)
}

var (
	_ Getter = (*Service)(nil)
	_ Getter = (*CachedGetter)(nil)
)

// userKey names a cached user.
type userKey struct {
	realm iam.Realm
	id    string
}

// userEntry is a cached user, or (ok unset) a load in flight. Its fields
// are read and written under userCache.mu.
type userEntry struct {
	ok      bool
	user    User
	expires time.Time
}

// userCache holds users by realm and id. It is safe for concurrent use.
// Guarantees:
//
//   - An invalidation that returns before a get starts makes that get load
//     afresh: invalidations remove entries, loads in flight included, and
//     a load whose entry was removed while it ran is not cached (so a load
//     that read a user before a change committed cannot store it after the
//     change's invalidation).
//   - Errors, not-found included, are never cached.
//   - Callers get their own copies (User.Clone).
//   - At most max entries (loads in flight included).
//
// A nil *userCache is a disabled cache: get loads, invalidations do nothing.
type userCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[userKey]*userEntry
}

func newUserCache(ttl time.Duration, max int, now func() time.Time) *userCache {
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	if max <= 0 {
		max = DefaultCacheSize
	}
	if now == nil {
		now = time.Now
	}
	return &userCache{ttl: ttl, max: max, now: now, entries: map[userKey]*userEntry{}}
}

// get returns user id of realm from the cache, or loads it with load and
// caches it.
func (c *userCache) get(ctx context.Context, realm iam.Realm, id string, load func(context.Context) (User, error)) (User, error) {
	if c == nil {
		return load(ctx)
	}
	k := userKey{realm: realm, id: id}
	c.mu.Lock()
	if e := c.entries[k]; e != nil && e.ok && c.now().Before(e.expires) {
		u := e.user.Clone()
		c.mu.Unlock()
		return u, nil
	}
	mine := &userEntry{}
	if _, replacing := c.entries[k]; !replacing && len(c.entries) >= c.max {
		for victim := range c.entries { // map order is random: an arbitrary victim
			delete(c.entries, victim)
			break
		}
	}
	c.entries[k] = mine
	c.mu.Unlock()

	u, err := load(ctx)

	c.mu.Lock()
	if c.entries[k] == mine {
		if err == nil {
			mine.ok, mine.user, mine.expires = true, u.Clone(), c.now().Add(c.ttl)
		} else {
			delete(c.entries, k)
		}
	}
	c.mu.Unlock()
	return u, err
}

// invalidate drops user id of realm.
func (c *userCache) invalidate(realm iam.Realm, id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	delete(c.entries, userKey{realm: realm, id: id})
	c.mu.Unlock()
}

// invalidateRealm drops every user of realm (in time proportional to the
// cache's size: realms are rarely deleted).
func (c *userCache) invalidateRealm(realm iam.Realm) {
	if c == nil {
		return
	}
	c.mu.Lock()
	for k := range c.entries {
		if k.realm == realm {
			delete(c.entries, k)
		}
	}
	c.mu.Unlock()
}

// invalidateAll empties the cache.
func (c *userCache) invalidateAll() {
	if c == nil {
		return
	}
	c.mu.Lock()
	clear(c.entries)
	c.mu.Unlock()
}

func (c *userCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// WithCache makes Get answer from an in-process cache of at most size
// users (DefaultCacheSize when size <= 0), each served for at most ttl
// (DefaultCacheTTL when ttl <= 0) — the token service's reads of a user on
// every refresh and userinfo, and the admin guard's of the caller. Every
// change this Service writes drops the user (the realm, for a realm's
// deletion or an import) as soon as it is committed, before the call
// returns: in one process a disabled or deleted user is refused at once.
// Changes written by other processes are seen when their events reach
// Invalidate / InvalidateRealm (userskafka.RunCacheInvalidation), and
// after ttl at the latest. Other reads (List, Authenticate, the user read
// before a change) never use the cache.
func WithCache(ttl time.Duration, size int) Option {
	return func(s *Service) { s.cacheTTL, s.cacheSize, s.cached = ttl, size, true }
}

// Invalidate drops user id of realm from the cache (WithCache); a no-op
// without it.
func (s *Service) Invalidate(realm iam.Realm, id string) { s.cache.invalidate(realm, id) }

// InvalidateRealm drops every cached user of realm.
func (s *Service) InvalidateRealm(realm iam.Realm) { s.cache.invalidateRealm(realm) }

// InvalidateAll empties the cache.
func (s *Service) InvalidateAll() { s.cache.invalidateAll() }

// CachedUsers returns the number of users in the cache (WithCache), loads
// in flight included, for metrics and tests.
func (s *Service) CachedUsers() int { return s.cache.len() }

// CachedGetter serves Get from memory in front of another Getter
// (typically the remote usershttp.Client in auth-service), with the
// guarantees of WithCache's cache: errors and not-found are never cached,
// an invalidation that returns before a Get starts is always honoured,
// callers get copies, at most DefaultCacheSize users are held (a full cache
// evicts an arbitrary entry), and an entry is served for at most
// DefaultCacheTTL. Wire Invalidate, InvalidateRealm and InvalidateAll to
// the users events with userskafka.RunCacheInvalidation: a user disabled,
// changed or deleted in user-service is then refused as soon as its event
// arrives, and after DefaultCacheTTL at the latest. Safe for concurrent
// use.
type CachedGetter struct {
	next  Getter
	cache *userCache
}

// NewCachedGetter returns a cache of at most size users (DefaultCacheSize
// when size <= 0), each served for at most ttl (DefaultCacheTTL when
// ttl <= 0), in front of next.
func NewCachedGetter(next Getter, ttl time.Duration, size int) *CachedGetter {
	return &CachedGetter{next: next, cache: newUserCache(ttl, size, nil)}
}

// Get returns next's answer for user id of realm, from the cache when it
// holds it.
func (g *CachedGetter) Get(ctx context.Context, realm iam.Realm, id string) (User, error) {
	return g.cache.get(ctx, realm, id, func(ctx context.Context) (User, error) { return g.next.Get(ctx, realm, id) })
}

// Invalidate drops user id of realm.
func (g *CachedGetter) Invalidate(realm iam.Realm, id string) { g.cache.invalidate(realm, id) }

// InvalidateRealm drops every user of realm.
func (g *CachedGetter) InvalidateRealm(realm iam.Realm) { g.cache.invalidateRealm(realm) }

// InvalidateAll empties the cache.
func (g *CachedGetter) InvalidateAll() { g.cache.invalidateAll() }

// Len returns the number of users cached (loads in flight included).
func (g *CachedGetter) Len() int { return g.cache.len() }

// invalidatingStore is the Service's Store when it caches users: every
// write drops what it changed from the cache once it is committed (after
// the batch's commit when ctx carries one, iam.AfterCommit), whether or not
// it succeeded.
type invalidatingStore struct {
	Store
	cache *userCache
	// later, inside Once, collects the drops to repeat once Once's own
	// transaction has committed.
	later *[]func()
}

func (s invalidatingStore) drop(ctx context.Context, realm iam.Realm, id string) {
	s.after(ctx, func() { s.cache.invalidate(realm, id) })
}

func (s invalidatingStore) dropRealm(ctx context.Context, realm iam.Realm) {
	s.after(ctx, func() { s.cache.invalidateRealm(realm) })
}

func (s invalidatingStore) after(ctx context.Context, fn func()) {
	if s.later != nil {
		*s.later = append(*s.later, fn)
	}
	iam.AfterCommit(ctx, fn)
}

func (s invalidatingStore) Create(ctx context.Context, u User, opts CreateOptions, events ...iam.Event) error {
	defer s.drop(ctx, u.Realm, u.ID)
	return s.Store.Create(ctx, u, opts, events...)
}

func (s invalidatingStore) Update(ctx context.Context, realm iam.Realm, id string, opts UpdateOptions, fn func(*User) ([]iam.Event, error)) (User, error) {
	defer s.drop(ctx, realm, id)
	return s.Store.Update(ctx, realm, id, opts, fn)
}

func (s invalidatingStore) Delete(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error {
	defer s.drop(ctx, realm, id)
	return s.Store.Delete(ctx, realm, id, events...)
}

func (s invalidatingStore) DeleteRealm(ctx context.Context, realm iam.Realm) (int, error) {
	defer s.dropRealm(ctx, realm)
	return s.Store.DeleteRealm(ctx, realm)
}

func (s invalidatingStore) Import(ctx context.Context, realm iam.Realm, b ImportBatch) ([]ImportOutcome, error) {
	defer s.dropRealm(ctx, realm)
	return s.Store.Import(ctx, realm, b)
}

// SetPassword may change the user's required actions.
func (s invalidatingStore) SetPassword(ctx context.Context, realm iam.Realm, userID string, c PasswordChange, events ...iam.Event) error {
	defer s.drop(ctx, realm, userID)
	return s.Store.SetPassword(ctx, realm, userID, c, events...)
}

func (s invalidatingStore) DeletePassword(ctx context.Context, realm iam.Realm, userID, credID string, events ...iam.Event) error {
	defer s.drop(ctx, realm, userID)
	return s.Store.DeletePassword(ctx, realm, userID, credID, events...)
}

// Once hands fn the Store of the event's writes, invalidating as well, and
// drops what they changed again once Once's transaction has committed.
func (s invalidatingStore) Once(ctx context.Context, consumer, eventID string, fn func(Store) error) error {
	var later []func()
	err := s.Store.Once(ctx, consumer, eventID, func(st Store) error {
		return fn(invalidatingStore{Store: st, cache: s.cache, later: &later})
	})
	for _, drop := range later {
		iam.AfterCommit(ctx, drop)
	}
	return err
}
