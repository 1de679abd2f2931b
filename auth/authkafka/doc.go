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
