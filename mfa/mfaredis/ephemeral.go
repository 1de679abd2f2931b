package mfaredis

import (
	"context"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamredis"
	"github.com/opengate-iam/opengate/mfa"
)

// Ephemeral is an mfa.EphemeralStore on Redis. The caller owns the client.
type Ephemeral struct {
	client rueidis.Client
	prefix string

	useStep, saveChallenge, attemptChallenge, deleteChallenge, countSend, recordFailure *rueidis.Lua
}

var _ mfa.EphemeralStore = (*Ephemeral)(nil)

// Option configures an Ephemeral.
type Option func(*Ephemeral)

// WithPrefix puts every key under prefix (default "opengate:"); tests use
// the prefix iamtest.Redis returns.
func WithPrefix(prefix string) Option { return func(e *Ephemeral) { e.prefix = prefix } }

// New returns an Ephemeral on client. Each command is bounded by its
// context's per-call budget (iam.WithCallTimeout; iamhttp sets it on every
// request), so a Redis that does not answer fails the call with
// CodeUnavailable quickly.
func New(client rueidis.Client, opts ...Option) *Ephemeral {
	e := &Ephemeral{
		client:           iamredis.CallTimeouts(client),
		prefix:           "opengate:",
		useStep:          rueidis.NewLuaScript(useStep),
		saveChallenge:    rueidis.NewLuaScript(saveChallenge),
		attemptChallenge: rueidis.NewLuaScript(attemptChallenge),
		deleteChallenge:  rueidis.NewLuaScript(deleteChallenge),
		countSend:        rueidis.NewLuaScript(countSend),
		recordFailure:    rueidis.NewLuaScript(recordFailure),
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// key is {prefix}mfa:{<realm>}:<kind>:<id>.
func (e *Ephemeral) key(realm iam.Realm, kind, id string) string {
	return e.prefix + "mfa:{" + string(realm) + "}:" + kind + ":" + id
}

// ms renders a positive TTL in milliseconds (at least 1).
func ms(ttl time.Duration) (string, error) {
	if ttl <= 0 {
		return "", iam.Invalidf("ttl", "ttl must be positive")
	}
	return strconv.FormatInt(max(ttl.Milliseconds(), 1), 10), nil
}

// mapErr is iamredis.MapError: one translation of Redis errors for every
// OpenGate store.
var mapErr = iamredis.MapError

// UseStep implements mfa.EphemeralStore.
func (e *Ephemeral) UseStep(ctx context.Context, realm iam.Realm, factorID string, step int64, ttl time.Duration) (bool, error) {
	const op = "mfaredis.UseStep"
	px, err := ms(ttl)
	if err != nil {
		return false, err
	}
	n, err := e.useStep.Exec(ctx, e.client, []string{e.key(realm, "step", factorID)},
		[]string{strconv.FormatInt(step, 10), px}).AsInt64()
	if err != nil {
		return false, mapErr(op, err)
	}
	return n == 1, nil
}

// SaveChallenge implements mfa.EphemeralStore.
func (e *Ephemeral) SaveChallenge(ctx context.Context, c mfa.Challenge, ttl time.Duration) error {
	const op = "mfaredis.SaveChallenge"
	px, err := ms(ttl)
	if err != nil {
		return err
	}
	err = e.saveChallenge.Exec(ctx, e.client, []string{e.key(c.Realm, "otp", c.UserID)},
		[]string{c.ID, hex.EncodeToString(c.Hash), strconv.FormatInt(c.ExpiresAt.UnixMicro(), 10), px}).Error()
	return mapErr(op, err)
}

// AttemptChallenge implements mfa.EphemeralStore.
func (e *Ephemeral) AttemptChallenge(ctx context.Context, realm iam.Realm, userID string) (mfa.Challenge, error) {
	const op = "mfaredis.AttemptChallenge"
	v, err := e.attemptChallenge.Exec(ctx, e.client, []string{e.key(realm, "otp", userID)}, nil).AsStrSlice()
	switch {
	case rueidis.IsRedisNil(err):
		return mfa.Challenge{}, &iam.Error{Code: iam.CodeNotFound, Op: op, Message: "no pending code"}
	case err != nil:
		return mfa.Challenge{}, mapErr(op, err)
	case len(v) != 4:
		return mfa.Challenge{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "unexpected reply"}
	}
	hash, err1 := hex.DecodeString(v[1])
	exp, err2 := strconv.ParseInt(v[2], 10, 64)
	att, err3 := strconv.Atoi(v[3])
	if err := errors.Join(err1, err2, err3); err != nil {
		return mfa.Challenge{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed pending code", Err: err}
	}
	return mfa.Challenge{Realm: realm, UserID: userID, ID: v[0], Hash: hash, ExpiresAt: time.UnixMicro(exp).UTC(), Attempts: att}, nil
}

// DeleteChallenge implements mfa.EphemeralStore.
func (e *Ephemeral) DeleteChallenge(ctx context.Context, realm iam.Realm, userID, id string) (bool, error) {
	n, err := e.deleteChallenge.Exec(ctx, e.client, []string{e.key(realm, "otp", userID)}, []string{id}).AsInt64()
	if err != nil {
		return false, mapErr("mfaredis.DeleteChallenge", err)
	}
	return n == 1, nil
}

// CountSend implements mfa.EphemeralStore.
func (e *Ephemeral) CountSend(ctx context.Context, realm iam.Realm, userID string, window time.Duration) (int, time.Duration, error) {
	const op = "mfaredis.CountSend"
	px, err := ms(window)
	if err != nil {
		return 0, 0, err
	}
	v, err := e.countSend.Exec(ctx, e.client, []string{e.key(realm, "sends", userID)}, []string{px}).AsIntSlice()
	if err != nil {
		return 0, 0, mapErr(op, err)
	}
	if len(v) != 2 {
		return 0, 0, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "unexpected reply"}
	}
	return int(v[0]), time.Duration(v[1]) * time.Millisecond, nil
}

// RecordFailure implements mfa.EphemeralStore.
func (e *Ephemeral) RecordFailure(ctx context.Context, realm iam.Realm, userID string, now time.Time, resetAfter, ttl time.Duration) (mfa.Failures, error) {
	const op = "mfaredis.RecordFailure"
	px, err := ms(ttl)
	if err != nil {
		return mfa.Failures{}, err
	}
	v, err := e.recordFailure.Exec(ctx, e.client, []string{e.key(realm, "fail", userID)},
		[]string{strconv.FormatInt(now.UnixMicro(), 10), strconv.FormatInt(resetAfter.Microseconds(), 10), px}).AsIntSlice()
	if err != nil {
		return mfa.Failures{}, mapErr(op, err)
	}
	if len(v) != 2 {
		return mfa.Failures{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "unexpected reply"}
	}
	return mfa.Failures{Count: int(v[0]), Last: time.UnixMicro(v[1]).UTC()}, nil
}

// Failures implements mfa.EphemeralStore.
func (e *Ephemeral) Failures(ctx context.Context, realm iam.Realm, userID string) (mfa.Failures, error) {
	const op = "mfaredis.Failures"
	v, err := e.client.Do(ctx, e.client.B().Hmget().Key(e.key(realm, "fail", userID)).Field("n", "last").Build()).ToArray()
	if err != nil {
		return mfa.Failures{}, mapErr(op, err)
	}
	if len(v) != 2 || v[0].IsNil() {
		return mfa.Failures{}, nil
	}
	n, err1 := v[0].AsInt64()
	last, err2 := v[1].AsInt64()
	if err := errors.Join(err1, err2); err != nil {
		return mfa.Failures{}, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed failure count", Err: err}
	}
	return mfa.Failures{Count: int(n), Last: time.UnixMicro(last).UTC()}, nil
}

// ClearFailures implements mfa.EphemeralStore.
func (e *Ephemeral) ClearFailures(ctx context.Context, realm iam.Realm, userID string) error {
	err := e.client.Do(ctx, e.client.B().Del().Key(e.key(realm, "fail", userID)).Build()).Error()
	return mapErr("mfaredis.ClearFailures", err)
}

// ForgetUser implements mfa.EphemeralStore.
func (e *Ephemeral) ForgetUser(ctx context.Context, realm iam.Realm, userID string) error {
	err := e.client.Do(ctx, e.client.B().Del().Key(e.key(realm, "otp", userID), e.key(realm, "sends", userID),
		e.key(realm, "fail", userID)).Build()).Error()
	return mapErr("mfaredis.ForgetUser", err)
}
