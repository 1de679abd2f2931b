package clients

import (
	"crypto/subtle"
	"strings"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

// DefaultCacheTTL bounds how long a cached client is served without an
// invalidation: a safety net for lost events.
const DefaultCacheTTL = time.Minute

// maxCacheEntries bounds the cache; when it is full it starts over.
const maxCacheEntries = 100_000

// cacheEntry is a cached client with a verifier of its secret (nil when
// unknown, and for public clients): the store's (Service), or the SHA-256 of
// a secret known to be valid (CachedReader).
type cacheEntry struct {
	client  Client
	hash    []byte
	expires time.Time
}

// clientCache holds clients by realm and id and by realm and clientId (both
// keys point to one entry). Every invalidation bumps epoch, and put drops
// values loaded before an invalidation, so a slow load never caches data
// older than a change it raced with.
type clientCache struct {
	ttl time.Duration
	now func() time.Time

	mu         sync.RWMutex
	byID       map[string]*cacheEntry
	byClientID map[string]*cacheEntry
	epoch      uint64
}

func newClientCache(ttl time.Duration, now func() time.Time) *clientCache {
	if ttl <= 0 {
		ttl = DefaultCacheTTL
	}
	c := &clientCache{ttl: ttl, now: now}
	c.reset()
	return c
}

func (c *clientCache) reset() {
	c.byID = map[string]*cacheEntry{}
	c.byClientID = map[string]*cacheEntry{}
}

func cacheKey(realm iam.Realm, s string) string { return string(realm) + "\x00" + s }

// get returns the live entry under key in m and the epoch to pass to put.
func (c *clientCache) get(m func() map[string]*cacheEntry, key string) (cacheEntry, bool, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := m()[key]
	if !ok || !c.now().Before(e.expires) {
		return cacheEntry{}, false, c.epoch
	}
	return *e, true, c.epoch
}

func (c *clientCache) byIDKey(realm iam.Realm, id string) (cacheEntry, bool, uint64) {
	return c.get(func() map[string]*cacheEntry { return c.byID }, cacheKey(realm, id))
}

func (c *clientCache) byClientIDKey(realm iam.Realm, clientID string) (cacheEntry, bool, uint64) {
	return c.get(func() map[string]*cacheEntry { return c.byClientID }, cacheKey(realm, clientID))
}

// put caches client (with hash) unless an invalidation happened since epoch
// was read.
func (c *clientCache) put(epoch uint64, client Client, hash []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if len(c.byID) >= maxCacheEntries {
		c.reset()
	}
	c.dropLocked(client.Realm, client.ID)
	e := &cacheEntry{client: client.Clone(), hash: hash, expires: c.now().Add(c.ttl)}
	c.byID[cacheKey(client.Realm, client.ID)] = e
	c.byClientID[cacheKey(client.Realm, client.ClientID)] = e
}

// invalidate drops client id of realm and any entry under the clientIds
// given, and voids loads in flight.
func (c *clientCache) invalidate(realm iam.Realm, id string, clientIDs ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.dropLocked(realm, id)
	for _, cid := range clientIDs {
		if e, ok := c.byClientID[cacheKey(realm, cid)]; ok {
			c.dropLocked(realm, e.client.ID)
			delete(c.byClientID, cacheKey(realm, cid))
		}
	}
}

func (c *clientCache) dropLocked(realm iam.Realm, id string) {
	if e, ok := c.byID[cacheKey(realm, id)]; ok {
		delete(c.byID, cacheKey(realm, id))
		if c.byClientID[cacheKey(realm, e.client.ClientID)] == e {
			delete(c.byClientID, cacheKey(realm, e.client.ClientID))
		}
	}
}

// invalidateRealm drops every client of realm.
func (c *clientCache) invalidateRealm(realm iam.Realm) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	prefix := string(realm) + "\x00"
	for k := range c.byID {
		if strings.HasPrefix(k, prefix) {
			delete(c.byID, k)
		}
	}
	for k := range c.byClientID {
		if strings.HasPrefix(k, prefix) {
			delete(c.byClientID, k)
		}
	}
}

func (c *clientCache) invalidateAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.reset()
}

// credentialsMatch reports whether secret authenticates c, whose secret's
// verifier is hash (nil for public clients), as match checks it: an enabled
// public client with no secret, or an enabled confidential client with the
// right one. match always runs, so that no secret, or no client, costs what
// a wrong secret costs; it must compare in constant time.
func credentialsMatch(c Client, hash []byte, secret string, match func(hash []byte, secret string) bool) bool {
	same := match(hash, secret)
	if c.PublicClient {
		return c.Enabled && secret == ""
	}
	return c.Enabled && secret != "" && hash != nil && same
}

// digestMatch is the match of credentialsMatch for verifiers that are plain
// SHA-256 digests kept in a process's memory only (CachedReader's, of
// secrets a remote service accepted): nothing at rest.
func digestMatch(hash []byte, secret string) bool {
	given := iamcrypto.SHA256(secret)
	want := hash
	if len(want) != len(given) {
		var dummy [32]byte // compared anyway: no secret costs what a wrong one costs
		want = dummy[:]
	}
	return subtle.ConstantTimeCompare(given, want) == 1 && len(hash) == len(given)
}

// errBadCredentials is the one error of every failed authentication, so that
// callers cannot tell an unknown client from a disabled one or a wrong
// secret.
func errBadCredentials(op string) error {
	return &iam.Error{Code: iam.CodeUnauthenticated, Op: op, Message: "invalid client credentials"}
}
