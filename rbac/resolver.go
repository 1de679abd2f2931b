package rbac

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// RoleResolver answers the effective roles of a subject and the roles
// within a client's scope with the contracts of Service.EffectiveRoles and
// Service.ScopeRoleNames. *Service, *CachedResolver and the remote
// rbachttp.Client implement it.
type RoleResolver interface {
	EffectiveRoles(ctx context.Context, realm iam.Realm, userID string) (realmRoles []string, clientRoles map[string][]string, err error)
	ScopeRoleNames(ctx context.Context, realm iam.Realm, clientUUID string) (realmRoles []string, clientRoles map[string][]string, err error)
}

// GroupPathReader answers the paths of the groups a subject belongs to
// directly with the contract of Service.UserGroupPaths (the groups claim of
// tokens). *Service, *CachedResolver (WithGroupPaths) and the remote
// rbachttp.Client implement it.
type GroupPathReader interface {
	UserGroupPaths(ctx context.Context, realm iam.Realm, userID string) ([]string, error)
}

var (
	_ RoleResolver    = (*Service)(nil)
	_ RoleResolver    = (*CachedResolver)(nil)
	_ GroupPathReader = (*Service)(nil)
	_ GroupPathReader = (*CachedResolver)(nil)
)

// CachedResolver serves EffectiveRoles (and ScopeRoleNames) from memory in front of another
// RoleResolver (typically the remote rbachttp.Client in auth-service), so
// that issuing a token does not cost a call to rbac.
//
// Entries are dropped by InvalidateUser, InvalidateRealm and InvalidateAll —
// wire them to rbac's events with rbackafka.RunCacheInvalidation
// (role_mapping.changed drops the subject; role.*, client.updated/deleted and
// realm.deleted the realm; user.deleted the user) — and expire after the TTL
// in any case (DefaultRolesCacheTTL). An invalidation that returns before a
// call starts is always honoured: loads in flight when it happens are not
// cached. Concurrent misses of one subject share one load. Errors are never
// cached. Callers get their own copies of the slices and map. At most
// DefaultRolesCacheSize subjects are held (WithCacheSize); a full cache
// evicts an arbitrary entry. Safe for concurrent use.
//
// With WithGroupPaths it serves UserGroupPaths the same way, from a cache of
// its own with the same contract, dropped by the same invalidations
// (rbackafka.RunCacheInvalidation also drops the realm on group.updated, a
// rename changing paths).
type CachedResolver struct {
	next   RoleResolver
	cache  *rolesCache
	groups GroupPathReader // nil: UserGroupPaths is refused
	paths  *rolesCache     // the group paths, as realm roles without client roles
}

// CacheOption configures a CachedResolver.
type CacheOption func(*cacheConfig)

type cacheConfig struct {
	ttl    time.Duration
	size   int
	now    func() time.Time
	groups GroupPathReader
}

// WithGroupPaths makes the CachedResolver also answer UserGroupPaths, from
// g (typically the same rbachttp.Client as the roles), cached.
func WithGroupPaths(g GroupPathReader) CacheOption {
	return func(c *cacheConfig) { c.groups = g }
}

// WithCacheTTL sets how long an answer is served without an invalidation
// (DefaultRolesCacheTTL when ttl <= 0).
func WithCacheTTL(ttl time.Duration) CacheOption {
	return func(c *cacheConfig) { c.ttl = ttl }
}

// WithCacheSize sets the most subjects held (DefaultRolesCacheSize when
// n <= 0).
func WithCacheSize(n int) CacheOption {
	return func(c *cacheConfig) { c.size = n }
}

// WithCacheClock sets the clock used for expiry (tests).
func WithCacheClock(now func() time.Time) CacheOption {
	return func(c *cacheConfig) { c.now = now }
}

// NewCachedResolver returns a cache in front of next.
func NewCachedResolver(next RoleResolver, opts ...CacheOption) *CachedResolver {
	var cfg cacheConfig
	for _, o := range opts {
		o(&cfg)
	}
	r := &CachedResolver{next: next, cache: newRolesCache(cfg.ttl, cfg.size, cfg.now), groups: cfg.groups}
	if r.groups != nil {
		r.paths = newRolesCache(cfg.ttl, cfg.size, cfg.now)
	}
	return r
}

// EffectiveRoles returns next's answer for userID of realm, from the cache
// when it holds it. Errors are next's (CodeUnavailable if ctx ends while
// waiting for another caller's load of the same subject).
func (r *CachedResolver) EffectiveRoles(ctx context.Context, realm iam.Realm, userID string) (realmRoles []string, clientRoles map[string][]string, err error) {
	return r.cache.get(ctx, realm, userID, func(ctx context.Context) ([]string, map[string][]string, error) {
		return r.next.EffectiveRoles(ctx, realm, userID)
	})
}

// ScopeRoleNames returns next's answer for the scope of client clientUUID
// of realm, from the cache when it holds it (beside the subjects: dropped
// by InvalidateRealm and InvalidateAll, which scope_mapping.changed, role.*
// and client.* trigger through rbackafka.RunCacheInvalidation).
func (r *CachedResolver) ScopeRoleNames(ctx context.Context, realm iam.Realm, clientUUID string) (realmRoles []string, clientRoles map[string][]string, err error) {
	return r.cache.get(ctx, realm, scopeKey(clientUUID), func(ctx context.Context) ([]string, map[string][]string, error) {
		return r.next.ScopeRoleNames(ctx, realm, clientUUID)
	})
}

// UserGroupPaths returns the paths of userID's groups as the GroupPathReader
// of WithGroupPaths answers them, from the cache when it holds them; never
// nil. Without WithGroupPaths it fails with CodeInternal.
func (r *CachedResolver) UserGroupPaths(ctx context.Context, realm iam.Realm, userID string) ([]string, error) {
	if r.groups == nil {
		return nil, &iam.Error{Code: iam.CodeInternal, Op: "rbac.CachedResolver.UserGroupPaths",
			Message: "group paths are not configured (rbac.WithGroupPaths)"}
	}
	paths, _, err := r.paths.get(ctx, realm, userID, func(ctx context.Context) ([]string, map[string][]string, error) {
		paths, err := r.groups.UserGroupPaths(ctx, realm, userID)
		return paths, nil, err
	})
	return paths, err
}

// InvalidateUser drops the cached roles (and group paths) of userID (a user
// id, or "service-account-{clientUUID}") of realm.
func (r *CachedResolver) InvalidateUser(realm iam.Realm, userID string) {
	r.cache.invalidateUser(realm, userID)
	r.paths.invalidateUser(realm, userID)
}

// InvalidateRealm drops the cached roles (and group paths) of every
// subject of realm.
func (r *CachedResolver) InvalidateRealm(realm iam.Realm) {
	r.cache.invalidateRealm(realm)
	r.paths.invalidateRealm(realm)
}

// InvalidateAll empties the cache.
func (r *CachedResolver) InvalidateAll() {
	r.cache.invalidateAll()
	r.paths.invalidateAll()
}

// Len returns the number of subjects cached (loads in flight included), for
// metrics and tests.
func (r *CachedResolver) Len() int { return r.cache.len() }
