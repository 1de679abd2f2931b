package notifykafka

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/notify"
)

// EventHandler is the notify service's consumer; *notify.Service
// implements it.
type EventHandler interface {
	HandleEvent(ctx context.Context, e iam.Event) error
}

// Run subscribes the service's consumer group (notify.Consumer) to
// notify.Topics() and hands each event to h until ctx ends; it returns the
// subscriber's error (ctx's error after a normal stop). Replicas share the
// group's work.
func Run(ctx context.Context, sub iam.Subscriber, h EventHandler) error {
	return sub.Subscribe(ctx, notify.Consumer, notify.Topics(), h.HandleEvent)
}
