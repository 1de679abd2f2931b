// Package clientskafka wires the clients service to the event bus
// (bus-agnostic: any iam.Subscriber — iamkafka in production, iambus
// in-process):
//
//   - Run: the service's own consumer (group clients.Consumer, "clients"):
//     realm.created creates the realm's admin-cli client, realm.deleted
//     deletes the realm's clients; each event takes effect once (the
//     store's Once).
//
//   - RunCacheInvalidation: one per process that caches clients (every
//     client-service replica, and services reading through a
//     clients.CachedReader): client.updated, client.deleted and realm.deleted
//     drop cached entries at once.
//
//     go clientskafka.Run(ctx, sub, svc)
//     go clientskafka.RunCacheInvalidation(ctx, sub, clientskafka.CacheGroup("client-service", host), svc)
package clientskafka
