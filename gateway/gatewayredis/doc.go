// Package gatewayredis is the gateway's rate limiter on Redis (rueidis):
// every gateway replica sharing one Redis shares the limits. Exact (the
// default), each request costs one round trip: a Lua script that takes
// from all of the request's buckets at once, on Redis's clock.
// Synchronised (WithSync), requests are admitted from the replica's
// memory and a background loop sends the counts to Redis and takes back
// the buckets' shared state every interval, in one pipelined round trip:
// no I/O on the request's path, and the limits hold across replicas within
// the bound WithSync states (docs/gateway.md, "Rate limits across
// replicas").
//
//	limiter := gatewayredis.New(redisClient, gatewayredis.WithPrefix("opengate:ratelimit:"),
//		gatewayredis.WithSync(gatewayredis.DefaultSyncInterval))
//	defer limiter.Close()
//	gw, err := gateway.New(routes, gateway.WithRateLimits(gateway.DefaultLimits(), limiter), ...)
//
// With Redis Cluster, the keys of one script call must share a hash slot:
// give the prefix a hash tag ("{opengate-rl}:").
package gatewayredis
