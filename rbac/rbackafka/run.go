// Package rbackafka runs rbac's event consumers on a bus: iamkafka's
// Subscriber in the microservice, iambus in the all-in-one binary and tests.
// It holds no Kafka code itself: the bus is an iam.Subscriber.
//
// Consumed, as group rbac.Consumer ("rbac"): realm.created (default roles),
// realm.deleted (everything of the realm), user.created (the default role),
// user.deleted (the user's mappings), client.created/updated (the clientId
// used in tokens), client.deleted (its roles and service account). Handling
// is idempotent (rbac.Service.HandleEvent).
//
// RunCacheInvalidation keeps effective-roles caches coherent across
// processes: one per process that caches (each rbac-service replica with
// rbac.WithEffectiveRolesCache, each service reading through an
// rbac.CachedResolver), in a group of its own (CacheGroup), on
// role_mapping.changed, role.*, group.member.*, group.updated, group.moved, group.deleted,
// group.role_mapping.changed, user.deleted, client.updated/deleted and
// realm.deleted.
//
//	bus := iambus.New()
//	_ = bus.Declare(rbac.Consumer, rbac.Topics()...) // before anything publishes
//	go rbackafka.Run(ctx, bus, svc)
//	go rbackafka.RunCacheInvalidation(ctx, bus, rbackafka.CacheGroup("rbac-service", host), svc)
//
//	roles := rbac.NewCachedResolver(rbachttp.NewClient(url, token)) // in auth-service
//	go rbackafka.RunCacheInvalidation(ctx, sub, rbackafka.CacheGroup("auth-service", host), roles)
package rbackafka

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// EventHandler applies one consumed event; *rbac.Service is one.
type EventHandler interface {
	HandleEvent(ctx context.Context, e iam.Event) error
}

var _ EventHandler = (*rbac.Service)(nil)

// Run subscribes h to rbac.Topics() as consumer group rbac.Consumer and
// consumes until ctx ends (returning ctx's error) or the subscription fails.
// A handler error asks the bus for redelivery (and, eventually, the
// dead-letter topic).
func Run(ctx context.Context, sub iam.Subscriber, h EventHandler) error {
	return sub.Subscribe(ctx, rbac.Consumer, rbac.Topics(), h.HandleEvent)
}
