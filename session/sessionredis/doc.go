// Package sessionredis is the Redis implementation of session.Store, on
// rueidis. Expiry is Redis's: every key carries a TTL computed from the
// session's idle and max expiry, so a session nobody reads still ends on
// time. Multi-key changes (create or join, touch, terminate) are single Lua
// scripts over keys of one realm, which share a cluster slot, so they are
// atomic across replicas. Commands are bounded by the context's per-call
// budget (iam.WithCallTimeout) and, issued concurrently, pipelined by
// rueidis (auto-pipelining).
//
// # Redis layout
//
// With P the key prefix (WithPrefix, default "opengate:") and {R} the realm
// (braces: a hash tag, one cluster slot per realm):
//
//	P session:{R}:s:<sid>       HASH    the session: u (user id), n (username), ip, ua, st
//	                                    (started), la (last access), ie (idle expiry),
//	                                    ex (max expiry), all in Unix ms, and c:<client UUID>
//	                                    = public clientId per client that used it.
//	                                    TTL: until ie; a touch moves ie (never past ex)
//	                                    and the TTL with it.
//	P session:{R}:m:<sid>       STRING  the id's marker: "a" while the session may be
//	                                    active, "e" once terminated or forbidden. TTL:
//	                                    until ex. It outlives the HASH when the session
//	                                    expires idle, so an ended session is told from an
//	                                    unknown one, and a session id is never created
//	                                    twice.
//	P session:{R}:u:<user id>   ZSET    the user's session ids, scored by ex
//	P session:{R}:c:<client>    ZSET    ids of the sessions a client (UUID) used, by ex
//	P session:{R}:all           ZSET    every session id of the realm, by ex
//	P session:{R}:cl            ZSET    client UUIDs with sessions, by their latest ex
//	P session:{R}:cn            HASH    client UUID → public clientId
//	P session:{R}:pending       ZSET    ids of terminated sessions whose
//	                                    session.terminated is not yet published, by
//	                                    the termination's time (ms)
//	P session:{R}:ev:<sid>      STRING  that event (CloudEvents JSON); TTL 7 days
//	P session:pending-realms    SET     realms that may have pending events (the
//	                                    relay's starting point; its own slot)
//
// Index keys expire with the latest ex of their members. Reads prune them:
// List and Stats drop the ids whose ex has passed (ZREMRANGEBYSCORE) and
// those whose HASH is gone (expired idle, or terminated), so an index keeps
// an ended session's id only until the next read of that index, and never
// past the session's max lifespan. Terminate removes the id from every
// index at once.
//
//	client, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{"127.0.0.1:6379"}})
//	if err != nil { ... }
//	store := sessionredis.New(client, sessionredis.WithPrefix("opengate:"))
//	svc := session.New(store, realms, session.WithPublisher(bus))
package sessionredis
