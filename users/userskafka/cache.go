package userskafka

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// Invalidator drops cached users. *users.Service (users.WithCache) and
// *users.CachedGetter implement it.
type Invalidator interface {
	Invalidate(realm iam.Realm, id string)
	InvalidateRealm(realm iam.Realm)
}

var (
	_ Invalidator = (*users.Service)(nil)
	_ Invalidator = (*users.CachedGetter)(nil)
)

// CacheTopics are the topics of the user cache's consumer: every change of
// a user's representation (user.updated, which disabling and enabling
// publish, user.email_verified, user.credentials_changed, whose password
// change may change the required actions), its deletion, and the realm's.
func CacheTopics() []string {
	return []string{iam.TopicUserUpdated, iam.TopicUserDeleted, iam.TopicUserEmailVerified,
		iam.TopicUserCredentialsChanged, iam.TopicRealmDeleted}
}

// CacheGroup returns the consumer group of one process's user cache: each
// cache must see every event, so the group is per process (service name
// plus an instance id such as the host name).
func CacheGroup(service, instance string) string {
	return service + ".user-cache." + instance
}

// CacheHandler returns the iam.Handler that invalidates inv: the user (the
// event's subject, or data "id") on the user topics, the whole realm on
// realm.deleted. It never fails.
func CacheHandler(inv Invalidator) iam.Handler {
	return func(_ context.Context, e iam.Event) error {
		switch e.Type {
		case iam.TopicUserUpdated, iam.TopicUserDeleted, iam.TopicUserEmailVerified, iam.TopicUserCredentialsChanged:
			id := e.Subject
			var d struct {
				ID string `json:"id"`
			}
			if e.Decode(&d) == nil && d.ID != "" {
				id = d.ID
			}
			inv.Invalidate(e.Realm, id)
		case iam.TopicRealmDeleted:
			inv.InvalidateRealm(e.Realm)
		}
		return nil
	}
}

// RunCacheInvalidation subscribes group (see CacheGroup) to CacheTopics and
// invalidates inv on each event until ctx ends; it returns the subscriber's
// error (ctx's error after a normal stop).
func RunCacheInvalidation(ctx context.Context, sub iam.Subscriber, group string, inv Invalidator) error {
	return sub.Subscribe(ctx, group, CacheTopics(), CacheHandler(inv))
}
