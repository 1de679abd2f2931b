// Package mfaredis keeps the MFA service's verification state in Redis
// (rueidis), shared by every replica: Ephemeral implements
// mfa.EphemeralStore, so a TOTP code used at one replica is refused at the
// others, and email codes, attempts and lockouts count across replicas.
//
// Layout (every key expires; {realm} is a Redis Cluster hash tag, so one
// realm's keys share a slot and each script touches one slot):
//
//	{prefix}mfa:{<realm>}:step:<factor id>   string: the last accepted TOTP step    TTL (2·window+2)·period
//	{prefix}mfa:{<realm>}:otp:<user id>      hash id, hash (hex), exp (µs), att     TTL the code's lifespan
//	{prefix}mfa:{<realm>}:sends:<user id>    counter of email codes sent            TTL the send window
//	{prefix}mfa:{<realm>}:fail:<user id>     hash n, last (µs)                      TTL reset + max wait
//
// Each operation is one command or one Lua script, so it is atomic.
//
//	state := mfaredis.New(redisClient, mfaredis.WithPrefix("opengate:"))
//	svc := mfa.New(store, state, realmGetter)
package mfaredis
