package authredis

import (
	"context"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamredis"
)

// DefaultRevocationCacheTTL is how long CachedRevocations keeps an answer
// at most when Redis sends no invalidation for it (a backstop: Redis does
// send one for every change).
const DefaultRevocationCacheTTL = 10 * time.Second

// CachedRevocations reads the revocation state of access tokens — the
// realm's revocation epoch, the token's jti marker and its session's marker
// — with rueidis client-side caching (RESP3 CLIENT TRACKING): a token
// checked again is answered from memory, without a round trip to Redis. It
// is an authverify.RevocationChecker (as auth.Revocations is) for verifiers
// that check the same tokens over and over: the gateway.
//
// How soon a revocation is seen:
//
//   - Redis pushes an invalidation of every key a connection read to that
//     connection when the key is written (a jti or session marker set, the
//     epoch recorded, the realm's keys deleted, the database flushed),
//     while it executes the write — before the revoking call even has its
//     answer. rueidis drops the cached answer when the push arrives, so a
//     revocation is seen as soon as the push crosses the network (well
//     under a millisecond on a local network).
//   - When the connection is lost, rueidis drops its whole cache; it
//     closes a connection whose PING is not answered in time: it pings when
//     a Dialer.KeepAlive period passed without answers and waits
//     ConnWriteTimeout (cmd/gateway: 1 s and 2 s), so a Redis that stops
//     answering stops the cached answers within about 2×KeepAlive +
//     ConnWriteTimeout (4 s), and the checks that follow fail (closed).
//   - An answer is never kept longer than ttl nor past the marker's own
//     expiry (rueidis caps the entry at the key's PTTL).
//
// A client made with DisableCache makes every check a round trip (one
// MGET-like batch of GETs), as correct and as slow as auth.Revocations.
type CachedRevocations struct {
	store *Store
	ttl   time.Duration
}

// CachedRevocations returns the cached revocation checker of s; ttl <= 0 is
// DefaultRevocationCacheTTL. s's client must have client-side caching on
// (not rueidis.ClientOption.DisableCache) for the cache to work.
func (s *Store) CachedRevocations(ttl time.Duration) CachedRevocations {
	if ttl <= 0 {
		ttl = DefaultRevocationCacheTTL
	}
	return CachedRevocations{store: s, ttl: ttl}
}

// Revoked reports what Store.AccessTokenRevoked reports — jti
// blacklisted, session sid (if not "") revoked, or issuedAt before the
// realm's epoch — from the cache when it can. When the epoch is missing
// (the state was lost), it falls back to AccessTokenRevoked, which records
// a new one. Redis errors are iam.CodeUnavailable: the caller refuses the
// token (fail closed).
func (c CachedRevocations) Revoked(ctx context.Context, realm iam.Realm, jti, sid string, issuedAt time.Time) (bool, error) {
	const op = "authredis.CachedRevocations"
	s := c.store
	cmds := make([]rueidis.CacheableTTL, 2, 3)
	cmds[0] = rueidis.CT(s.client.B().Get().Key(s.epochKey(realm)).Cache(), c.ttl)
	cmds[1] = rueidis.CT(s.client.B().Get().Key(s.key(realm, "bl", jti)).Cache(), c.ttl)
	if sid != "" {
		cmds = append(cmds, rueidis.CT(s.client.B().Get().Key(s.key(realm, "sess", sid)).Cache(), c.ttl))
	}
	res := s.client.DoMultiCache(ctx, cmds...)
	epoch, err := res[0].AsInt64()
	if rueidis.IsRedisNil(err) {
		return s.AccessTokenRevoked(ctx, realm, jti, sid, issuedAt)
	}
	if err != nil {
		return false, iamredis.MapError(op, err)
	}
	if issuedAt.Unix() < epoch {
		return true, nil
	}
	for _, r := range res[1:] {
		err := r.Error()
		if err == nil {
			return true, nil // a marker exists
		}
		if !rueidis.IsRedisNil(err) {
			return false, iamredis.MapError(op, err)
		}
	}
	return false, nil
}
