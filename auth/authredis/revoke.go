package authredis

import (
	"context"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamredis"
)

// markKey sets a revocation marker for at least ttl.
func (s *Store) markKey(ctx context.Context, op, key string, ttl time.Duration) error {
	px, err := ttlMS(ttl)
	if err != nil {
		return err
	}
	return iamredis.MapError(op, s.mark.Exec(ctx, s.client, []string{key}, []string{px}).Error())
}

// RevokeFamily revokes every refresh token of family.
func (s *Store) RevokeFamily(ctx context.Context, realm iam.Realm, family string, ttl time.Duration) error {
	return s.markKey(ctx, "authredis.RevokeFamily", s.key(realm, "fam", family), ttl)
}

// RevokeSession revokes session sid.
func (s *Store) RevokeSession(ctx context.Context, realm iam.Realm, sid string, ttl time.Duration) error {
	return s.markKey(ctx, "authredis.RevokeSession", s.key(realm, "sess", sid), ttl)
}

// RevokeAccessToken blacklists jti.
func (s *Store) RevokeAccessToken(ctx context.Context, realm iam.Realm, jti string, ttl time.Duration) error {
	return s.markKey(ctx, "authredis.RevokeAccessToken", s.key(realm, "bl", jti), ttl)
}

// RevokeUserSessions revokes every recorded session of userID but keep.
func (s *Store) RevokeUserSessions(ctx context.Context, realm iam.Realm, userID, keep string, ttl time.Duration) ([]string, error) {
	const op = "authredis.RevokeUserSessions"
	px, err := ttlMS(ttl)
	if err != nil {
		return nil, err
	}
	sids, err := s.revokeUser.Exec(ctx, s.client, []string{s.key(realm, "usess", userID)}, []string{s.base(realm), px, keep}).AsStrSlice()
	if err != nil {
		return nil, iamredis.MapError(op, err)
	}
	return sids, nil
}

// AccessTokenRevoked reports whether jti is blacklisted, session sid
// revoked, or issuedAt before the realm's epoch, in one round trip (a
// script that records the epoch if it is missing).
func (s *Store) AccessTokenRevoked(ctx context.Context, realm iam.Realm, jti, sid string, issuedAt time.Time) (bool, error) {
	keys := []string{s.epochKey(realm), s.key(realm, "bl", jti)}
	if sid != "" {
		keys = append(keys, s.key(realm, "sess", sid))
	}
	n, err := s.revoked.Exec(ctx, s.client, keys, []string{strconv.FormatInt(time.Now().Unix(), 10),
		strconv.FormatInt(issuedAt.Unix(), 10)}).AsInt64()
	if err != nil {
		return false, iamredis.MapError("authredis.AccessTokenRevoked", err)
	}
	return n > 0, nil
}

// EnsureEpoch records realm's epoch (SET NX) unless it has one.
func (s *Store) EnsureEpoch(ctx context.Context, realm iam.Realm) error {
	cmd := s.client.B().Set().Key(s.epochKey(realm)).Value(strconv.FormatInt(time.Now().Unix(), 10)).Nx().Build()
	err := s.client.Do(ctx, cmd).Error()
	if rueidis.IsRedisNil(err) { // NX: the epoch exists
		err = nil
	}
	return iamredis.MapError("authredis.EnsureEpoch", err)
}

// epochKey is the key of realm's revocation epoch. It has no TTL: with an
// eviction policy that may evict keys without one (allkeys-*), an evicted
// epoch refuses every token of the realm — fail closed.
func (s *Store) epochKey(realm iam.Realm) string { return s.base(realm) + "epoch" }

// RecordLoginFailure counts a failure; see auth.FailureStore.
func (s *Store) RecordLoginFailure(ctx context.Context, realm iam.Realm, key, ip string, now time.Time, resetAfter, ttl time.Duration) (auth.LoginFailures, error) {
	const op = "authredis.RecordLoginFailure"
	px, err := ttlMS(ttl)
	if err != nil {
		return auth.LoginFailures{}, err
	}
	n, err := s.recordFailure.Exec(ctx, s.client, []string{s.key(realm, "lf", key)}, []string{
		strconv.FormatInt(now.UnixMilli(), 10), strconv.FormatInt(resetAfter.Milliseconds(), 10), px, ip,
	}).AsInt64()
	if err != nil {
		return auth.LoginFailures{}, iamredis.MapError(op, err)
	}
	return auth.LoginFailures{NumFailures: int(n), LastFailure: time.UnixMilli(now.UnixMilli()).UTC(), LastIPFailure: ip}, nil
}

// LoginFailures returns the record of key (zero if none).
func (s *Store) LoginFailures(ctx context.Context, realm iam.Realm, key string) (auth.LoginFailures, error) {
	const op = "authredis.LoginFailures"
	vals, err := s.client.Do(ctx, s.client.B().Hmget().Key(s.key(realm, "lf", key)).Field("n", "last", "ip").Build()).ToArray()
	if err != nil {
		return auth.LoginFailures{}, iamredis.MapError(op, err)
	}
	var lf auth.LoginFailures
	if n, err := vals[0].AsInt64(); err == nil {
		lf.NumFailures = int(n)
	}
	if last, err := vals[1].AsInt64(); err == nil && last > 0 {
		lf.LastFailure = time.UnixMilli(last).UTC()
	}
	lf.LastIPFailure, _ = vals[2].ToString()
	return lf, nil
}

// ClearLoginFailures deletes the record of key.
func (s *Store) ClearLoginFailures(ctx context.Context, realm iam.Realm, key string) error {
	return iamredis.MapError("authredis.ClearLoginFailures", s.client.Do(ctx, s.client.B().Del().Key(s.key(realm, "lf", key)).Build()).Error())
}

// DeleteRealm deletes every key of realm ({prefix}auth:{realm}:*) on every
// node, in batches. Keys written while it runs may survive; the caller runs
// it after the realm is gone, when nothing writes them any more.
func (s *Store) DeleteRealm(ctx context.Context, realm iam.Realm) error {
	const op = "authredis.DeleteRealm"
	if err := realm.Validate(); err != nil {
		return err
	}
	return iamredis.DeletePrefix(ctx, s.client, op, s.base(realm))
}
