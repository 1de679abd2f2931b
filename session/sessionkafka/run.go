package sessionkafka

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/session"
)

// EventHandler applies one consumed event; *session.Service is one.
type EventHandler interface {
	HandleEvent(ctx context.Context, e iam.Event) error
}

var _ EventHandler = (*session.Service)(nil)

// Run subscribes h to session.Topics() as consumer group session.Consumer
// and consumes until ctx ends (returning ctx's error) or the subscription
// fails. A handler error asks the bus for redelivery (and, eventually, the
// dead-letter topic). Replicas share the group's work.
func Run(ctx context.Context, sub iam.Subscriber, h EventHandler) error {
	return sub.Subscribe(ctx, session.Consumer, session.Topics(), h.HandleEvent)
}
