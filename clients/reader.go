package clients

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

// CachedReader serves Get, GetByClientID and Authenticate from memory in
// front of another Reader (typically the remote clientshttp.Client), so the
// token endpoint does not call the network per request. A successful
// authentication caches the SHA-256 of the secret that succeeded; a later
// call with the same secret is answered locally (constant-time compare), any
// other secret goes to the next Reader. Failures are never cached. Entries
// are dropped by Invalidate/InvalidateRealm — wire them to client.updated,
// client.deleted and realm.deleted with clientskafka.RunCacheInvalidation —
// and expire after the TTL in any case (the longest an old secret can keep
// working if an event is lost). Safe for concurrent use.
type CachedReader struct {
	next  Reader
	cache *clientCache
}

var _ Reader = (*CachedReader)(nil)

// CacheOption configures a CachedReader.
type CacheOption func(*cacheConfig)

type cacheConfig struct {
	ttl time.Duration
	now func() time.Time
}

// WithTTL sets how long an entry is served (DefaultCacheTTL by default).
func WithTTL(ttl time.Duration) CacheOption {
	return func(c *cacheConfig) { c.ttl = ttl }
}

// WithCacheClock sets the clock used for expiry (tests).
func WithCacheClock(now func() time.Time) CacheOption {
	return func(c *cacheConfig) { c.now = now }
}

// NewCachedReader returns a cache in front of next.
func NewCachedReader(next Reader, opts ...CacheOption) *CachedReader {
	cfg := cacheConfig{ttl: DefaultCacheTTL, now: time.Now}
	for _, o := range opts {
		o(&cfg)
	}
	return &CachedReader{next: next, cache: newClientCache(cfg.ttl, cfg.now)}
}

// Get implements Reader.
func (r *CachedReader) Get(ctx context.Context, realm iam.Realm, id string) (Client, error) {
	e, ok, epoch := r.cache.byIDKey(realm, id)
	if ok {
		return e.client.Clone(), nil
	}
	c, err := r.next.Get(ctx, realm, id)
	if err != nil {
		return Client{}, err
	}
	r.cache.put(epoch, c, nil)
	return c, nil
}

// GetByClientID implements Reader.
func (r *CachedReader) GetByClientID(ctx context.Context, realm iam.Realm, clientID string) (Client, error) {
	e, ok, epoch := r.cache.byClientIDKey(realm, clientID)
	if ok {
		return e.client.Clone(), nil
	}
	c, err := r.next.GetByClientID(ctx, realm, clientID)
	if err != nil {
		return Client{}, err
	}
	r.cache.put(epoch, c, nil)
	return c, nil
}

// Authenticate implements Reader.
func (r *CachedReader) Authenticate(ctx context.Context, realm iam.Realm, clientID, secret string) (Client, error) {
	e, ok, epoch := r.cache.byClientIDKey(realm, clientID)
	if ok && (e.hash != nil || e.client.PublicClient) && credentialsMatch(e.client, e.hash, secret, digestMatch) {
		return e.client.Clone(), nil
	}
	c, err := r.next.Authenticate(ctx, realm, clientID, secret)
	if err != nil {
		return Client{}, err
	}
	var hash []byte
	if !c.PublicClient {
		hash = iamcrypto.SHA256(secret)
	}
	r.cache.put(epoch, c, hash)
	return c, nil
}

// Invalidate drops client id of realm.
func (r *CachedReader) Invalidate(realm iam.Realm, id string) { r.cache.invalidate(realm, id) }

// InvalidateRealm drops every client of realm.
func (r *CachedReader) InvalidateRealm(realm iam.Realm) { r.cache.invalidateRealm(realm) }

// InvalidateAll empties the cache.
func (r *CachedReader) InvalidateAll() { r.cache.invalidateAll() }
