// Package userskafka runs the users service's event consumer on any
// iam.Subscriber (iamkafka in the microservices, iambus in process): as
// group users.Consumer ("users") it deletes a realm's users when the realm
// is deleted. Each event is handled once (users.Store's Once: exactly once
// with userspg, through iampg.HandleOnce).
//
//	go userskafka.Run(ctx, subscriber, usersSvc)
package userskafka
