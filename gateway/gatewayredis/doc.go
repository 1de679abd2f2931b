// Package gatewayredis is the gateway's rate limiter on Redis (rueidis):
// every gateway replica sharing one Redis shares the limits, and each
// request costs one round trip (a Lua script that takes from all of the
// request's buckets at once, on Redis's clock).
//
//	limiter := gatewayredis.New(redisClient, gatewayredis.WithPrefix("opengate:ratelimit:"))
//	gw, err := gateway.New(routes, gateway.WithRateLimits(gateway.DefaultLimits(), limiter), ...)
//
// With Redis Cluster, the keys of one request must share a hash slot: give
// the prefix a hash tag ("{opengate-rl}:").
package gatewayredis
