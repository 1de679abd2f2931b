// Package userskafka runs the users service's event consumer on any
// iam.Subscriber (iamkafka in the microservices, iambus in process): it
// deletes a realm's users when the realm is deleted. The handling is
// idempotent (and exactly-once with userspg, through iampg.HandleOnce).
//
//	go userskafka.Run(ctx, subscriber, usersSvc)
package userskafka
