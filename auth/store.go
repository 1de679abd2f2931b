package auth

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// TokenStore keeps the short-lived state of the token service: authorization
// codes, refresh tokens, revocations, login-failure counters, and browser
// sign-in (login flows and SSO cookie records). authmem
// (memory) and authredis (Redis) implement it; authtest.RunTokenStore checks
// the guarantees below for both.
//
// Every record is scoped by realm: a value stored in one realm is never seen
// through another. Secrets are never stored: codes and refresh tokens are
// looked up by their SHA-256 hash. TTLs are durations measured by the store's
// own clock; records carry their own timestamps, which the Service checks
// with its clock.
type TokenStore interface {
	CodeStore
	RefreshStore
	RevocationStore
	FailureStore
	BrowserStore
	// DeleteRealm deletes every record of realm: codes, refresh tokens,
	// sessions, revocations, failure counters, login flows and SSO records (the realm was deleted, so
	// nothing of it may outlive it, even if a realm of the same name is
	// created later). Idempotent.
	DeleteRealm(ctx context.Context, realm iam.Realm) error
}

// AuthCode is an issued authorization code, stored under the hash of its
// value.
type AuthCode struct {
	Hash                string // SHA-256 of the code, base64url
	Realm               iam.Realm
	ClientID            string // public clientId
	RedirectURI         string // as sent to the authorization endpoint
	Scope               string // granted scope, space-separated
	Nonce               string
	CodeChallenge       string
	CodeChallengeMethod string // "S256" or "plain"; "" without PKCE
	UserID              string
	SessionID           string
	AuthTime            time.Time
	SessionStarted      time.Time
	ExpiresAt           time.Time
	// Redemption is set once the code has been redeemed.
	Redemption *CodeRedemption
}

// CodeRedemption records what was issued from a code, so that a second
// redemption can revoke it.
type CodeRedemption struct {
	AccessTokenID  string // jti of the access token
	AccessTokenExp time.Time
	Family         string // refresh-token family
}

// CodeStore keeps authorization codes.
type CodeStore interface {
	// SaveCode stores c for ttl. CodeConflict if a code with the same hash
	// exists.
	SaveCode(ctx context.Context, c AuthCode, ttl time.Duration) error
	// ConsumeCode redeems the code with hash atomically: the first call
	// records r in it and returns the code as stored before (Redemption
	// nil); every later call returns the code with the first call's
	// Redemption, and keeps it for at least keep so that reuse stays
	// detectable. CodeNotFound if there is no such code (or it expired).
	ConsumeCode(ctx context.Context, realm iam.Realm, hash string, r CodeRedemption, keep time.Duration) (AuthCode, error)
}

// RefreshToken is an issued refresh token, stored under the hash of its
// value. Tokens of one rotation chain share a Family.
type RefreshToken struct {
	Hash           string // SHA-256 of the token, base64url
	Realm          iam.Realm
	Family         string
	ClientID       string // client UUID
	UserID         string
	SessionID      string
	Scope          string // granted scope, space-separated
	Nonce          string
	AuthTime       time.Time
	SessionStarted time.Time
	IssuedAt       time.Time
	ExpiresAt      time.Time
	// Rotated is true once the token has been exchanged for its successor.
	Rotated bool
	// Revoked is true when its family or its session has been revoked.
	Revoked bool
}

// RefreshStore keeps refresh tokens and the sessions they belong to.
type RefreshStore interface {
	// SaveRefresh stores t, the first token of a new family, for ttl and
	// records its session among t.UserID's sessions. CodeConflict if the
	// hash exists.
	SaveRefresh(ctx context.Context, t RefreshToken, ttl time.Duration) error
	// RotateRefresh exchanges the token with oldHash for next atomically and
	// returns the old token as it was. If the old token is current (not
	// rotated, not revoked) it is marked rotated (keeping its expiry, so a
	// later reuse is detected) and next is stored for ttl. Otherwise nothing
	// changes and the old token is returned with Rotated or Revoked set: the
	// caller decides. CodeNotFound if there is no such token.
	RotateRefresh(ctx context.Context, realm iam.Realm, oldHash string, next RefreshToken, ttl time.Duration) (RefreshToken, error)
	// GetRefresh returns the token with hash, with Rotated and Revoked
	// reflecting the current state. CodeNotFound if there is none.
	GetRefresh(ctx context.Context, realm iam.Realm, hash string) (RefreshToken, error)
}

// RevocationStore records revocations. Each takes the duration for which the
// revocation must be remembered (at least the lifetime of what it revokes);
// revoking twice is harmless.
type RevocationStore interface {
	// RevokeFamily revokes every refresh token of family.
	RevokeFamily(ctx context.Context, realm iam.Realm, family string, ttl time.Duration) error
	// RevokeSession revokes every refresh token of session sid and makes
	// Revoked report true for access tokens of the session.
	RevokeSession(ctx context.Context, realm iam.Realm, sid string, ttl time.Duration) error
	// RevokeUserSessions revokes every session recorded for userID by
	// SaveRefresh, except session keep when keep is not "" (it stays
	// recorded and alive), and returns the revoked sessions' ids.
	RevokeUserSessions(ctx context.Context, realm iam.Realm, userID, keep string, ttl time.Duration) ([]string, error)
	// RevokeAccessToken puts the access token jti on the blacklist.
	RevokeAccessToken(ctx context.Context, realm iam.Realm, jti string, ttl time.Duration) error
	// AccessTokenRevoked reports whether access token jti, issued at
	// issuedAt, is blacklisted, or its session sid (if not "") is revoked,
	// or it was issued before the realm's revocation epoch (see
	// EnsureEpoch): revocations are a denylist, so a store that lost its
	// state (Redis flushed, restarted without persistence, or a new process
	// with a memory store) cannot tell which older tokens were revoked and
	// refuses them all. Tokens issued in the epoch's second are accepted.
	AccessTokenRevoked(ctx context.Context, realm iam.Realm, jti, sid string, issuedAt time.Time) (bool, error)
	// EnsureEpoch records, unless already recorded, that the revocation
	// state of realm starts now (at whole-second precision). The token
	// service calls it before it issues a token, so a token can exist only
	// while its realm's epoch does; an epoch found missing when a token is
	// checked means the state was lost, and a new one is recorded then.
	// DeleteRealm forgets the epoch too.
	EnsureEpoch(ctx context.Context, realm iam.Realm) error
}

// Revocations adapts a RevocationStore to the check resource servers make
// on a token id (authverify.RevocationChecker): the gateway and services
// pass auth.Revocations{Store: store} to reject revoked access tokens.
type Revocations struct {
	Store RevocationStore
}

// Revoked reports whether access token jti of realm, issued at issuedAt, is
// blacklisted, its session sid (if not "") was revoked, or it predates the
// realm's revocation epoch (RevocationStore.AccessTokenRevoked).
func (r Revocations) Revoked(ctx context.Context, realm iam.Realm, jti, sid string, issuedAt time.Time) (bool, error) {
	return r.Store.AccessTokenRevoked(ctx, realm, jti, sid, issuedAt)
}

// LoginFailures is the failed-login record of one user or IP address.
type LoginFailures struct {
	NumFailures   int
	LastFailure   time.Time // zero if none
	LastIPFailure string
}

// FailureStore counts failed logins per key ("user:<id>" or "ip:<addr>").
type FailureStore interface {
	// RecordLoginFailure counts a failure at now from ip atomically: when
	// the previous failure is older than resetAfter (if > 0) the count
	// restarts at 1. The record is kept for ttl after now. It returns the
	// updated record.
	RecordLoginFailure(ctx context.Context, realm iam.Realm, key, ip string, now time.Time, resetAfter, ttl time.Duration) (LoginFailures, error)
	// LoginFailures returns the record of key (zero if none).
	LoginFailures(ctx context.Context, realm iam.Realm, key string) (LoginFailures, error)
	// ClearLoginFailures deletes the record of key.
	ClearLoginFailures(ctx context.Context, realm iam.Realm, key string) error
}
