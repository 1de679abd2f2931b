package userskafka

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// RealmDeletedHandler handles realm.deleted; *users.Service implements it.
type RealmDeletedHandler interface {
	HandleRealmDeleted(ctx context.Context, e iam.Event) error
}

// Handler returns the iam.Handler of the users service's consumer: it passes
// realm.deleted to h and ignores other topics. Errors make the bus redeliver.
func Handler(h RealmDeletedHandler) iam.Handler {
	return func(ctx context.Context, e iam.Event) error {
		if e.Type != iam.TopicRealmDeleted {
			return nil
		}
		return h.HandleRealmDeleted(ctx, e)
	}
}

// Run subscribes the users service's consumer (group users.ConsumerGroup,
// topics users.ConsumedTopics) on sub and handles its events with h until
// ctx ends; it returns the subscriber's error (ctx's error after a normal
// stop). Replicas share the work through the group. With a bus that must
// keep events published before the consumer starts (iambus), declare the
// group first: bus.Declare(users.ConsumerGroup, users.ConsumedTopics...).
func Run(ctx context.Context, sub iam.Subscriber, h RealmDeletedHandler) error {
	return sub.Subscribe(ctx, users.ConsumerGroup, users.ConsumedTopics, Handler(h))
}
