// Package iamkafka is OpenGate's Kafka event bus, on franz-go: a Publisher
// (iam.Publisher) and a consumer-group Subscriber (iam.Subscriber) with the
// same delivery rules as the in-process bus iambus.
//
// Wire format: one record per event on the topic named by the event's Type,
// key realm/subject (so one object's events stay in one partition, in order),
// value the CloudEvents 1.0 structured JSON, headers content-type, ce_type and
// ce_id.
//
// Consumption is at-least-once: offsets are committed only past records whose
// handler succeeded. A failing handler is retried with backoff; after
// WithMaxAttempts attempts (default 5) the record is copied to "<topic>.dlq"
// with the error in the opengate-error header, and the group moves on. Records
// that are not CloudEvents go to the dead-letter topic at once. Topics are
// created by the brokers' auto-creation where enabled, or up front with
// EnsureTopics.
//
//	pub, err := iamkafka.OpenPublisher(seeds) // or NewPublisher(yourClient)
//	if err != nil { ... }
//	defer pub.Close()
//	err = pub.Publish(ctx, event) // returns once acknowledged, or when ctx ends
//
//	sub := iamkafka.NewSubscriber(seeds, iamkafka.WithMaxAttempts(5))
//	go sub.Subscribe(ctx, "notify", []string{iam.TopicUserCreated}, notifier.Handle)
//
// A Subscribe call stops when its ctx ends: it commits what was handled,
// leaves the group and returns.
package iamkafka
