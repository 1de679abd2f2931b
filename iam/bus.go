package iam

import "context"

// Publisher publishes events. Publish returns only after every event is
// durably accepted by the bus (or ctx ends, or the bus fails); events with the
// same Key are delivered in the order given.
type Publisher interface {
	Publish(ctx context.Context, events ...Event) error
}

// Handler handles one event. Returning an error asks for redelivery (with
// backoff); delivery is at-least-once, so handlers must be idempotent.
type Handler func(ctx context.Context, e Event) error

// Subscriber delivers events of topic to handler. Consumers with the same
// group share the work (each event goes to one of them); different groups each
// get every event. Subscribe runs until ctx ends, then returns ctx's error, or
// an error if the subscription could not run.
type Subscriber interface {
	Subscribe(ctx context.Context, group string, topics []string, handler Handler) error
}

// PublisherFunc adapts a function to Publisher.
type PublisherFunc func(ctx context.Context, events ...Event) error

// Publish calls f.
func (f PublisherFunc) Publish(ctx context.Context, events ...Event) error { return f(ctx, events...) }
