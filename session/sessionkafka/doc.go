// Package sessionkafka runs the session service's event consumer on a bus:
// iamkafka's Subscriber in session-service, iambus in the all-in-one binary
// and tests. It holds no Kafka code itself: the bus is an iam.Subscriber.
//
// Consumed, as group session.Consumer ("session"): auth.login.success
// (create or join the session), auth.logout (terminate it),
// user.deleted and user.credentials_changed (terminate the user's sessions)
// and realm.deleted (delete the realm's sessions). Handling is idempotent
// (session.Service.HandleEvent), so a redelivered event publishes no second
// session.terminated.
//
//	go sessionkafka.Run(ctx, sub, svc)
//	go svc.Run(ctx) // relays session.terminated events whose publication failed
package sessionkafka
