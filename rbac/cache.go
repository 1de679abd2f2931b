package rbac

import (
	"context"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Defaults of the effective-roles caches (WithEffectiveRolesCache and
// NewCachedResolver).
const (
	// DefaultRolesCacheTTL bounds how long an answer is served without an
	// invalidation. Changes made through the caching Service, and changes
	// whose events reach the cache, are seen at once; the TTL is the safety
	// net for a lost event and for a process that consumes no events. One
	// minute, as the realm and client caches: a subject asking for tokens
	// all the time still costs one load a minute.
	DefaultRolesCacheTTL = time.Minute
	// DefaultRolesCacheSize bounds the number of cached subjects (users and
	// service accounts, over all realms). A full cache evicts an arbitrary
	// entry for each new one.
	DefaultRolesCacheSize = 100_000
)

// rolesKey names a cached answer: one subject (user id, or
// "service-account-{clientUUID}") of one realm.
type rolesKey struct {
	realm   iam.Realm
	subject string
}

// rolesEntry is a cached answer, or a load in flight that other callers
// asking for the same key wait for instead of loading again.
type rolesEntry struct {
	done chan struct{} // closed when the load has ended

	// Set under rolesCache.mu before done is closed, then never changed:
	// after <-done, or under mu with ok set, they are read without a lock.
	ok          bool // the load succeeded
	realmRoles  []string
	clientRoles map[string][]string
	expires     time.Time
}

// rolesCache holds effective roles by realm and subject. It is safe for
// concurrent use. Guarantees:
//
//   - An invalidation that returns before a get starts makes that get load
//     afresh: invalidations remove entries, including loads in flight, and a
//     load whose entry was removed while it ran is never cached (so a load
//     that read the database before a change committed cannot store its
//     stale answer after the change's invalidation).
//   - Errors are never cached.
//   - Callers get their own copies.
//   - At most max entries (loads in flight included).
//
// A nil *rolesCache is a disabled cache: get loads, invalidations do nothing.
type rolesCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[rolesKey]*rolesEntry
	byRealm map[iam.Realm]map[string]*rolesEntry // the same entries, for InvalidateRealm
}

// rolesLoader computes an answer on a miss.
type rolesLoader func(ctx context.Context) (realmRoles []string, clientRoles map[string][]string, err error)

// newRolesCache returns an empty cache; ttl <= 0 and max <= 0 select the
// defaults, now nil selects time.Now.
func newRolesCache(ttl time.Duration, max int, now func() time.Time) *rolesCache {
	if ttl <= 0 {
		ttl = DefaultRolesCacheTTL
	}
	if max <= 0 {
		max = DefaultRolesCacheSize
	}
	if now == nil {
		now = time.Now
	}
	c := &rolesCache{ttl: ttl, max: max, now: now}
	c.resetLocked()
	return c
}

func (c *rolesCache) resetLocked() {
	c.entries = map[rolesKey]*rolesEntry{}
	c.byRealm = map[iam.Realm]map[string]*rolesEntry{}
}

// get returns the cached answer for subject of realm, waits for a load of it
// in flight, or loads it with load and caches it.
func (c *rolesCache) get(ctx context.Context, realm iam.Realm, subject string, load rolesLoader) ([]string, map[string][]string, error) {
	if c == nil {
		return load(ctx)
	}
	k := rolesKey{realm: realm, subject: subject}
	c.mu.Lock()
	e := c.entries[k]
	switch {
	case e != nil && e.ok && c.now().Before(e.expires):
		c.mu.Unlock()
		return cloneRoles(e.realmRoles, e.clientRoles)
	case e != nil && !e.ok: // entries in the map with ok unset are loads in flight
		c.mu.Unlock()
		return c.wait(ctx, e, load)
	}
	e = &rolesEntry{done: make(chan struct{})}
	c.putLocked(k, e)
	c.mu.Unlock()
	return c.fill(ctx, k, e, load)
}

// wait returns the answer of the load in flight e. If that load failed (its
// caller's ctx may have ended), it loads for itself, without caching.
func (c *rolesCache) wait(ctx context.Context, e *rolesEntry, load rolesLoader) ([]string, map[string][]string, error) {
	select {
	case <-e.done:
	case <-ctx.Done():
		return nil, nil, &iam.Error{Code: iam.CodeUnavailable, Message: "request ended", Err: ctx.Err()}
	}
	if e.ok {
		return cloneRoles(e.realmRoles, e.clientRoles)
	}
	return load(ctx)
}

// fill runs load for the entry e it put under k, and caches the answer
// unless an invalidation or an eviction removed e meanwhile. It always ends
// e (waiters are released even if load panics).
func (c *rolesCache) fill(ctx context.Context, k rolesKey, e *rolesEntry, load rolesLoader) (realmRoles []string, clientRoles map[string][]string, err error) {
	finished := false
	defer func() {
		c.mu.Lock()
		if finished && err == nil {
			e.realmRoles, e.clientRoles, _ = cloneRoles(realmRoles, clientRoles)
			e.expires = c.now().Add(c.ttl)
			e.ok = true
		} else if c.entries[k] == e {
			c.removeLocked(k)
		}
		c.mu.Unlock()
		close(e.done)
	}()
	realmRoles, clientRoles, err = load(ctx)
	finished = true
	return realmRoles, clientRoles, err
}

// putLocked stores e under k, evicting an arbitrary entry when the cache is
// full. The caller holds mu.
func (c *rolesCache) putLocked(k rolesKey, e *rolesEntry) {
	if _, replacing := c.entries[k]; !replacing && len(c.entries) >= c.max {
		for victim := range c.entries { // map order is random: an arbitrary victim
			c.removeLocked(victim)
			break
		}
	}
	c.entries[k] = e
	m := c.byRealm[k.realm]
	if m == nil {
		m = map[string]*rolesEntry{}
		c.byRealm[k.realm] = m
	}
	m[k.subject] = e
}

// removeLocked drops the entry under k. The caller holds mu.
func (c *rolesCache) removeLocked(k rolesKey) {
	delete(c.entries, k)
	if m := c.byRealm[k.realm]; m != nil {
		delete(m, k.subject)
		if len(m) == 0 {
			delete(c.byRealm, k.realm)
		}
	}
}

// invalidateUser drops subject of realm.
func (c *rolesCache) invalidateUser(realm iam.Realm, subject string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.removeLocked(rolesKey{realm: realm, subject: subject})
	c.mu.Unlock()
}

// invalidateRealm drops every subject of realm, in time proportional to
// their number.
func (c *rolesCache) invalidateRealm(realm iam.Realm) {
	if c == nil {
		return
	}
	c.mu.Lock()
	for subject := range c.byRealm[realm] {
		delete(c.entries, rolesKey{realm: realm, subject: subject})
	}
	delete(c.byRealm, realm)
	c.mu.Unlock()
}

// invalidateAll empties the cache.
func (c *rolesCache) invalidateAll() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.resetLocked()
	c.mu.Unlock()
}

// len returns the number of entries, loads in flight included.
func (c *rolesCache) len() int {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// cloneRoles returns deep copies, never nil. The error result lets get
// return it directly.
func cloneRoles(realmRoles []string, clientRoles map[string][]string) ([]string, map[string][]string, error) {
	rr := make([]string, len(realmRoles))
	copy(rr, realmRoles)
	cr := make(map[string][]string, len(clientRoles))
	for client, names := range clientRoles {
		cp := make([]string, len(names))
		copy(cp, names)
		cr[client] = cp
	}
	return rr, cr, nil
}
