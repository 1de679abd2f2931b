// Package authredis is the Redis implementation of auth.TokenStore
// (rueidis): authorization codes, refresh tokens (stored under the SHA-256
// of their value, with TTL = the session idle timeout), refresh-token
// families, the access-token jti blacklist, session revocations and
// login-failure counters. Every key is {prefix}auth:{<realm>}:<kind>:<id>;
// multi-step changes (code redemption, refresh rotation, failure counting)
// are single Lua scripts, so they are atomic across replicas.
//
//	client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{"127.0.0.1:6379"}})
//	if err != nil { ... }
//	store := authredis.New(client, authredis.WithPrefix("opengate:"))
//	svc, err := auth.New(issuerBase, realms, clients, users, roles, keyStore, store)
package authredis
