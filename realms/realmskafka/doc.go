// Package realmskafka wires the realm read caches to the event bus: every
// process that caches realms (the realm-service replicas themselves, and
// services reading them through realmshttp.Client) runs
// RunCacheInvalidation so that realm.updated and realm.deleted drop the
// cached copy at once. It is bus-agnostic (any iam.Subscriber: iamkafka in
// production, iambus in-process).
//
//	cache := realms.NewCachedGetter(realmshttp.NewClient(url, token))
//	go realmskafka.RunCacheInvalidation(ctx, sub, realmskafka.CacheGroup("auth-service", instanceID), cache)
package realmskafka
