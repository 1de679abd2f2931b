package authkafka

import (
	"context"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
)

// EventHandler applies one consumed event; *auth.Service is one.
type EventHandler interface {
	HandleEvent(ctx context.Context, e iam.Event) error
}

var _ EventHandler = (*auth.Service)(nil)

// Run subscribes h to auth.Topics() as consumer group auth.Consumer and
// consumes until ctx ends (returning ctx's error) or the subscription fails.
// A handler error asks the bus for redelivery (and, eventually, the
// dead-letter topic).
func Run(ctx context.Context, sub iam.Subscriber, h EventHandler) error {
	return sub.Subscribe(ctx, auth.Consumer, auth.Topics(), h.HandleEvent)
}
