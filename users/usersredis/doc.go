// Package usersredis holds the users service's state that lives in Redis
// (rueidis): Limiter, the counter of password-reset requests shared by
// every replica of user-service (or of the all-in-one), so that the limits
// per login and per address hold for the deployment, not per process.
//
//	limiter := usersredis.NewLimiter(redisClient, usersredis.WithPrefix("opengate:"))
//	svc := users.New(store, realms, users.WithResetLimits(limiter, users.DefaultResetLimits()))
//
// Keys are {prefix}users:limit:<key> (the users service hashes logins into
// its keys: no username or address appears in clear) and expire with their
// window. The caller owns the client.
package usersredis
