package authredis

import (
	"context"
	"encoding/json"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamredis"
)

// Login flows are strings (JSON) under {prefix}auth:{realm}:flow:<id>; SSO
// records are hashes (d: JSON, s: session id) under
// {prefix}auth:{realm}:sso:<hash>, their session recorded in the user's
// session set like a refresh token's.

// SaveLoginFlow stores a new flow for ttl (SET NX).
func (s *Store) SaveLoginFlow(ctx context.Context, f auth.LoginFlow, ttl time.Duration) error {
	return s.putFlow(ctx, "authredis.SaveLoginFlow", f, ttl, false)
}

// UpdateLoginFlow replaces a stored flow (SET XX).
func (s *Store) UpdateLoginFlow(ctx context.Context, f auth.LoginFlow, ttl time.Duration) error {
	return s.putFlow(ctx, "authredis.UpdateLoginFlow", f, ttl, true)
}

func (s *Store) putFlow(ctx context.Context, op string, f auth.LoginFlow, ttl time.Duration, existing bool) error {
	if ttl <= 0 {
		return iam.Invalidf("ttl", "ttl must be positive")
	}
	data, err := json.Marshal(f)
	if err != nil {
		return iam.Wrap(op, err)
	}
	set := s.client.B().Set().Key(s.key(f.Realm, "flow", f.ID)).Value(rueidis.BinaryString(data))
	var cmd rueidis.Completed
	if existing {
		cmd = set.Xx().PxMilliseconds(max(ttl.Milliseconds(), 1)).Build()
	} else {
		cmd = set.Nx().PxMilliseconds(max(ttl.Milliseconds(), 1)).Build()
	}
	err = s.client.Do(ctx, cmd).Error()
	switch {
	case rueidis.IsRedisNil(err) && existing:
		return iam.NotFoundf("login flow not found")
	case rueidis.IsRedisNil(err):
		return iam.Conflictf("login flow exists")
	}
	return iamredis.MapError(op, err)
}

// GetLoginFlow returns a flow; CodeNotFound if absent or expired.
func (s *Store) GetLoginFlow(ctx context.Context, realm iam.Realm, id string) (auth.LoginFlow, error) {
	return s.flow(ctx, "authredis.GetLoginFlow", s.client.B().Get().Key(s.key(realm, "flow", id)).Build())
}

// TakeLoginFlow deletes and returns a flow, once (GETDEL).
func (s *Store) TakeLoginFlow(ctx context.Context, realm iam.Realm, id string) (auth.LoginFlow, error) {
	return s.flow(ctx, "authredis.TakeLoginFlow", s.client.B().Getdel().Key(s.key(realm, "flow", id)).Build())
}

func (s *Store) flow(ctx context.Context, op string, cmd rueidis.Completed) (auth.LoginFlow, error) {
	raw, err := s.client.Do(ctx, cmd).AsBytes()
	if rueidis.IsRedisNil(err) {
		return auth.LoginFlow{}, iam.NotFoundf("login flow not found")
	}
	if err != nil {
		return auth.LoginFlow{}, iamredis.MapError(op, err)
	}
	var f auth.LoginFlow
	if err := json.Unmarshal(raw, &f); err != nil {
		return auth.LoginFlow{}, iam.Wrap(op, err)
	}
	return f, nil
}

// SaveBrowserSession stores b for ttl and records its session among the
// user's; CodeConflict if the record exists.
func (s *Store) SaveBrowserSession(ctx context.Context, b auth.BrowserSession, ttl time.Duration) error {
	const op = "authredis.SaveBrowserSession"
	px, err := ttlMS(ttl)
	if err != nil {
		return err
	}
	b.Revoked = false
	data, err := json.Marshal(b)
	if err != nil {
		return iam.Wrap(op, err)
	}
	n, err := s.saveNX.Exec(ctx, s.client, []string{s.key(b.Realm, "sso", b.Hash), s.userSessions(b.Realm, b.UserID)},
		[]string{string(data), px, "", b.SessionID}).AsInt64()
	if err != nil {
		return iamredis.MapError(op, err)
	}
	if n == 0 {
		return iam.Conflictf("browser session exists")
	}
	return nil
}

// GetBrowserSession returns a record with Revoked reflecting its session,
// in one round trip.
func (s *Store) GetBrowserSession(ctx context.Context, realm iam.Realm, hash string) (auth.BrowserSession, error) {
	const op = "authredis.GetBrowserSession"
	arr, err := s.getBrowser.Exec(ctx, s.client, []string{s.key(realm, "sso", hash)}, []string{s.base(realm)}).ToArray()
	if rueidis.IsRedisNil(err) {
		return auth.BrowserSession{}, iam.NotFoundf("browser session not found")
	}
	if err != nil {
		return auth.BrowserSession{}, iamredis.MapError(op, err)
	}
	if len(arr) != 2 {
		return auth.BrowserSession{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "unexpected reply"}
	}
	data, err := arr[0].ToString()
	if err != nil {
		return auth.BrowserSession{}, iamredis.MapError(op, err)
	}
	revoked, err := arr[1].AsInt64()
	if err != nil {
		return auth.BrowserSession{}, iamredis.MapError(op, err)
	}
	var b auth.BrowserSession
	if err := json.Unmarshal([]byte(data), &b); err != nil {
		return auth.BrowserSession{}, iam.Wrap(op, err)
	}
	b.Revoked = revoked == 1
	return b, nil
}

// DeleteBrowserSession deletes a record.
func (s *Store) DeleteBrowserSession(ctx context.Context, realm iam.Realm, hash string) error {
	return iamredis.MapError("authredis.DeleteBrowserSession",
		s.client.Do(ctx, s.client.B().Del().Key(s.key(realm, "sso", hash)).Build()).Error())
}
