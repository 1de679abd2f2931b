package authredis

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamredis"
)

// Store is an auth.TokenStore on Redis (rueidis). Every key is
// {prefix}auth:{<realm>}:<kind>:<id>, so a realm's keys share one cluster
// slot, and expire with Redis TTLs. Codes, refresh tokens and SSO records
// are stored under the hash of their value. The caller owns the client.
type Store struct {
	client rueidis.Client
	prefix string

	saveNX, consumeCode, getRefresh, rotateRefresh, mark, revokeUser, recordFailure, revoked, getBrowser *rueidis.Lua
}

var _ auth.TokenStore = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithPrefix puts every key under prefix (default "opengate:"); tests use
// the prefix iamtest.Redis returns.
func WithPrefix(prefix string) Option { return func(s *Store) { s.prefix = prefix } }

// New returns a Store on client. Each command is bounded by its context's
// per-call budget (iam.WithCallTimeout; iamhttp sets it on every request), so
// a Redis that does not answer fails the call with CodeUnavailable quickly
// instead of holding it.
func New(client rueidis.Client, opts ...Option) *Store {
	s := &Store{
		client:        iamredis.CallTimeouts(client),
		prefix:        "opengate:",
		saveNX:        rueidis.NewLuaScript(saveNX),
		consumeCode:   rueidis.NewLuaScript(consumeCode),
		getRefresh:    rueidis.NewLuaScriptReadOnly(getRefresh),
		rotateRefresh: rueidis.NewLuaScript(rotateRefresh),
		mark:          rueidis.NewLuaScript(mark),
		revokeUser:    rueidis.NewLuaScript(revokeUser),
		recordFailure: rueidis.NewLuaScript(recordFailure),
		revoked:       rueidis.NewLuaScript(revoked),
		getBrowser:    rueidis.NewLuaScriptReadOnly(getBrowser),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// base is the key prefix of realm: {prefix}auth:{realm}:.
func (s *Store) base(realm iam.Realm) string {
	return s.prefix + "auth:{" + string(realm) + "}:"
}

func (s *Store) key(realm iam.Realm, kind, id string) string {
	return s.base(realm) + kind + ":" + id
}

func ttlMS(ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", iam.Invalidf("ttl", "ttl must be positive")
	}
	n := ttl.Milliseconds()
	if n < 1 {
		n = 1
	}
	return strconv.FormatInt(n, 10), nil
}

// SaveCode stores c for ttl; CodeConflict if its hash exists.
func (s *Store) SaveCode(ctx context.Context, c auth.AuthCode, ttl time.Duration) error {
	const op = "authredis.SaveCode"
	px, err := ttlMS(ttl)
	if err != nil {
		return err
	}
	c.Redemption = nil
	data, err := json.Marshal(c)
	if err != nil {
		return iam.Wrap(op, err)
	}
	n, err := s.saveNX.Exec(ctx, s.client, []string{s.key(c.Realm, "code", c.Hash), ""},
		[]string{string(data), px, "", ""}).AsInt64()
	if err != nil {
		return iamredis.MapError(op, err)
	}
	if n == 0 {
		return iam.Conflictf("code exists")
	}
	return nil
}

// ConsumeCode redeems a code once; see auth.CodeStore.
func (s *Store) ConsumeCode(ctx context.Context, realm iam.Realm, hash string, r auth.CodeRedemption, keep time.Duration) (auth.AuthCode, error) {
	const op = "authredis.ConsumeCode"
	px, err := ttlMS(keep)
	if err != nil {
		return auth.AuthCode{}, err
	}
	use, err := json.Marshal(r)
	if err != nil {
		return auth.AuthCode{}, iam.Wrap(op, err)
	}
	parts, err := s.consumeCode.Exec(ctx, s.client, []string{s.key(realm, "code", hash)}, []string{string(use), px}).AsStrSlice()
	if err != nil {
		return auth.AuthCode{}, iamredis.MapError(op, err)
	}
	var c auth.AuthCode
	if err := json.Unmarshal([]byte(parts[0]), &c); err != nil {
		return auth.AuthCode{}, iam.Wrap(op, err)
	}
	if len(parts) > 1 {
		var first auth.CodeRedemption
		if err := json.Unmarshal([]byte(parts[1]), &first); err != nil {
			return auth.AuthCode{}, iam.Wrap(op, err)
		}
		c.Redemption = &first
	}
	return c, nil
}

// userSessions is the key of the set of sessions of userID ("" if none).
func (s *Store) userSessions(realm iam.Realm, userID string) string {
	if userID == "" {
		return ""
	}
	return s.key(realm, "usess", userID)
}

// SaveRefresh stores the first token of a family.
func (s *Store) SaveRefresh(ctx context.Context, t auth.RefreshToken, ttl time.Duration) error {
	const op = "authredis.SaveRefresh"
	px, err := ttlMS(ttl)
	if err != nil {
		return err
	}
	t.Rotated, t.Revoked = false, false
	data, err := json.Marshal(t)
	if err != nil {
		return iam.Wrap(op, err)
	}
	n, err := s.saveNX.Exec(ctx, s.client, []string{s.key(t.Realm, "rt", t.Hash), s.userSessions(t.Realm, t.UserID)},
		[]string{string(data), px, t.Family, t.SessionID}).AsInt64()
	if err != nil {
		return iamredis.MapError(op, err)
	}
	if n == 0 {
		return iam.Conflictf("refresh token exists")
	}
	return nil
}

// decodeRefresh turns a {data, rotated, revoked} reply into a token.
func decodeRefresh(op string, res rueidis.RedisResult) (auth.RefreshToken, error) {
	arr, err := res.ToArray()
	if err != nil {
		return auth.RefreshToken{}, iamredis.MapError(op, err)
	}
	if len(arr) != 3 {
		return auth.RefreshToken{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "unexpected reply"}
	}
	data, err := arr[0].ToString()
	if err != nil {
		return auth.RefreshToken{}, iamredis.MapError(op, err)
	}
	rotated, err1 := arr[1].AsInt64()
	revoked, err2 := arr[2].AsInt64()
	if err := errors.Join(err1, err2); err != nil {
		return auth.RefreshToken{}, iamredis.MapError(op, err)
	}
	var t auth.RefreshToken
	if err := json.Unmarshal([]byte(data), &t); err != nil {
		return auth.RefreshToken{}, iam.Wrap(op, err)
	}
	t.Rotated, t.Revoked = rotated == 1, revoked == 1
	return t, nil
}

// RotateRefresh exchanges a current token for next; see auth.RefreshStore.
func (s *Store) RotateRefresh(ctx context.Context, realm iam.Realm, oldHash string, next auth.RefreshToken, ttl time.Duration) (auth.RefreshToken, error) {
	const op = "authredis.RotateRefresh"
	px, err := ttlMS(ttl)
	if err != nil {
		return auth.RefreshToken{}, err
	}
	next.Realm, next.Rotated, next.Revoked = realm, false, false
	data, err := json.Marshal(next)
	if err != nil {
		return auth.RefreshToken{}, iam.Wrap(op, err)
	}
	res := s.rotateRefresh.Exec(ctx, s.client,
		[]string{s.key(realm, "rt", oldHash), s.key(realm, "rt", next.Hash), s.userSessions(realm, next.UserID)},
		[]string{s.base(realm), string(data), px, next.Family, next.SessionID})
	return decodeRefresh(op, res)
}

// GetRefresh returns a token with its current state.
func (s *Store) GetRefresh(ctx context.Context, realm iam.Realm, hash string) (auth.RefreshToken, error) {
	res := s.getRefresh.Exec(ctx, s.client, []string{s.key(realm, "rt", hash)}, []string{s.base(realm)})
	return decodeRefresh("authredis.GetRefresh", res)
}
