// Package authkafka runs auth's event consumers on a bus: iamkafka's
// Subscriber in the microservice, iambus in the all-in-one binary and tests.
// It holds no Kafka code itself: the bus is an iam.Subscriber.
//
// Consumed, as group auth.Consumer ("auth"): session.terminated (revoke the
// session's refresh tokens and access tokens) and user.deleted (revoke every
// session of the user, forget their failed logins). Handling is idempotent
// (auth.Service.HandleEvent): revocations are markers in the TokenStore.
//
//	bus := iambus.New()
//	_ = bus.Declare(auth.Consumer, auth.Topics()...) // before anything publishes
//	go authkafka.Run(ctx, bus, svc)
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
