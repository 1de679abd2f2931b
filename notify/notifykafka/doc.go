// Package notifykafka wires the notify service to the event bus
// (bus-agnostic: any iam.Subscriber — iamkafka in production, iambus
// in-process): Run subscribes the service's consumer group
// (notify.Consumer, "notify") to notify.Topics(). Each event records its
// mail once (the store's Once and one delivery per event and kind); the
// service's worker (notify.Service.Run) sends it.
//
//	go notifykafka.Run(ctx, sub, svc)
//	go svc.Run(ctx)
package notifykafka
