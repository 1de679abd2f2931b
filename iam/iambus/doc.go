// Package iambus is OpenGate's in-process event bus: an iam.Publisher and
// iam.Subscriber with the delivery rules of the Kafka bus (iamkafka), used by
// the all-in-one binary and by every service's unit tests.
//
// Delivery is at-least-once per consumer group. A group receives the events
// published after it first subscribed (or was declared with Declare); events
// published to a topic nobody has subscribed to are dropped. Consumers of one
// group share its events, events of one Key are handled in order, a failing
// handler is retried with backoff and, after WithMaxAttempts attempts, its
// event goes to the topic's dead-letter topic "<topic>.dlq" and consumption
// goes on. Nothing is persisted: a process restart loses queued events, which
// the producers' outboxes publish again.
//
// Wiring: declare the groups before anything publishes, run each subscription
// in a goroutine, and stop them with their context (Close stops everything):
//
//	bus := iambus.New()
//	defer bus.Close()
//	_ = bus.Declare("notify", iam.TopicUserCreated)
//	go bus.Subscribe(ctx, "notify", []string{iam.TopicUserCreated}, notifier.Handle)
//	...
//	err := bus.Publish(ctx, event) // queued for "notify"
//
// In tests, small backoffs keep retries fast:
//
//	bus := iambus.New(iambus.WithBackoff(time.Millisecond, 5*time.Millisecond), iambus.WithMaxAttempts(3))
package iambus
