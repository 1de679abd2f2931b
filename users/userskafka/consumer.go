package userskafka

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// EventHandler applies one consumed event; *users.Service is one.
type EventHandler interface {
	HandleEvent(ctx context.Context, e iam.Event) error
}

var _ EventHandler = (*users.Service)(nil)

// Run subscribes h to users.Topics() as consumer group users.Consumer and
// consumes until ctx ends (returning ctx's error) or the subscription fails.
// Replicas share the work through the group. A handler error asks the bus
// for redelivery (and, eventually, the dead-letter topic). With a bus that
// must keep events published before the consumer starts (iambus), declare
// the group first: bus.Declare(users.Consumer, users.Topics()...).
func Run(ctx context.Context, sub iam.Subscriber, h EventHandler) error {
	return sub.Subscribe(ctx, users.Consumer, users.Topics(), h.HandleEvent)
}
