package realmskafka

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// Invalidator drops cached copies of a realm. *realms.Service and
// *realms.CachedGetter implement it.
type Invalidator interface {
	Invalidate(name iam.Realm)
}

// Topics are the topics the cache consumer subscribes to.
func Topics() []string {
	return []string{iam.TopicRealmUpdated, iam.TopicRealmDeleted}
}

// CacheGroup returns the consumer group of one process's cache: caches must
// each see every event, so the group is per process (service name plus an
// instance id such as the host name), unlike work-sharing consumers whose
// group is the service name.
func CacheGroup(service, instance string) string {
	return service + ".realm-cache." + instance
}

// Handler returns the iam.Handler that invalidates inv's copy of the realm
// of each realm.updated or realm.deleted event; other topics are ignored. It
// never fails, so it is trivially idempotent.
func Handler(inv Invalidator) iam.Handler {
	return func(_ context.Context, e iam.Event) error {
		switch e.Type {
		case iam.TopicRealmUpdated, iam.TopicRealmDeleted:
			inv.Invalidate(e.Realm)
		}
		return nil
	}
}

// RunCacheInvalidation subscribes group (see CacheGroup) to realm.updated and
// realm.deleted and invalidates inv on each, until ctx ends; it returns the
// subscriber's error (ctx's error after a normal stop).
func RunCacheInvalidation(ctx context.Context, sub iam.Subscriber, group string, inv Invalidator) error {
	return sub.Subscribe(ctx, group, Topics(), Handler(inv))
}
