package clientskafka

import (
	"context"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// EventHandler is the clients service's consumer; *clients.Service
// implements it.
type EventHandler interface {
	HandleEvent(ctx context.Context, e iam.Event) error
}

// Run subscribes the service's consumer group (clients.Consumer) to
// clients.Topics() and hands each event to h until ctx ends; it returns the
// subscriber's error (ctx's error after a normal stop). Replicas share the
// group's work.
func Run(ctx context.Context, sub iam.Subscriber, h EventHandler) error {
	return sub.Subscribe(ctx, clients.Consumer, clients.Topics(), h.HandleEvent)
}

// Invalidator drops cached clients. *clients.Service and
// *clients.CachedReader implement it.
type Invalidator interface {
	Invalidate(realm iam.Realm, id string)
	InvalidateRealm(realm iam.Realm)
}

// CacheTopics are the topics of the cache consumer.
func CacheTopics() []string {
	return []string{iam.TopicClientUpdated, iam.TopicClientDeleted, iam.TopicRealmDeleted}
}

// CacheGroup returns the consumer group of one process's cache: caches must
// each see every event, so the group is per process (service name plus an
// instance id such as the host name).
func CacheGroup(service, instance string) string {
	return service + ".client-cache." + instance
}

// CacheHandler returns the iam.Handler that invalidates inv: the client
// (the event's subject, or data "id") on client.updated and client.deleted,
// the whole realm on realm.deleted. It never fails.
func CacheHandler(inv Invalidator) iam.Handler {
	return func(_ context.Context, e iam.Event) error {
		switch e.Type {
		case iam.TopicClientUpdated, iam.TopicClientDeleted:
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
