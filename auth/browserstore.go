package auth

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// LoginFlow is a browser sign-in in progress (Keycloak's authentication
// session): the checked authorization request it will answer and how far
// the user got. It is bound to one browser by a cookie (Browser holds the
// cookie's hash), so that its ID, which appears in the pages' URLs, is of
// no use to anyone else; every form of the flow carries CSRF.
type LoginFlow struct {
	ID      string // random, 132 bits, base64url
	Realm   iam.Realm
	Browser string // SHA-256 (base64url) of the browser's login cookie
	CSRF    string // random; every form of the flow carries it
	// Request is the authorization request the flow answers; its ClientID
	// is "" for a sign-in to the account pages, which then return to
	// Return (a path under the realm's account pages).
	Request Authorization
	Return  string

	// UserID is set once the user has authenticated (password, or the SSO
	// session the flow continues), at AuthTime.
	UserID   string
	AuthTime time.Time
	// SessionID is the id of the session the flow will sign the browser
	// into, chosen when the user is known: the browser's SSO session when
	// it is the same user's, else a new one. Changes the flow makes to the
	// user's credentials (UPDATE_PASSWORD) keep this session, so that the
	// user's other sessions end and this one does not.
	SessionID string
	// SecondFactor is true once a second factor was verified in the flow
	// (or the SSO session it continues had one).
	SecondFactor bool
	// EmailCodeSent is true once an email code was sent in the flow.
	EmailCodeSent bool
	// VerifyEmailSent is true once the verification email of the
	// VERIFY_EMAIL required action was sent in the flow.
	VerifyEmailSent bool

	Created   time.Time
	ExpiresAt time.Time
}

// BrowserSession is the record behind an SSO cookie: the login session it
// signs the browser into. It is stored under the hash of the cookie's value
// (which is a secret: 256 random bits), never the value itself.
type BrowserSession struct {
	Hash      string // SHA-256 (base64url) of the cookie value
	Realm     iam.Realm
	SessionID string // the sid of the tokens issued in the session
	UserID    string
	// AuthTime is when the user last authenticated with credentials
	// (auth_time); Started when the session began.
	AuthTime time.Time
	Started  time.Time
	// SecondFactor is true when the session's authentication used a
	// second factor.
	SecondFactor bool
	// CSRF is the token of the account pages' and logout confirmation's
	// forms.
	CSRF      string
	ExpiresAt time.Time // Started plus the realm's SSO max lifespan
	// Revoked is true when the session was revoked (logout, a terminated
	// session, the user's credentials changed): set by the store on read.
	Revoked bool
}

// BrowserStore keeps the state of browser sign-in: login flows in progress
// and the records behind SSO cookies. Like every TokenStore record they
// are scoped by realm.
type BrowserStore interface {
	// SaveLoginFlow stores a new flow f for ttl; CodeConflict if a flow
	// with its ID exists.
	SaveLoginFlow(ctx context.Context, f LoginFlow, ttl time.Duration) error
	// UpdateLoginFlow replaces the stored flow with f's ID by f, for ttl;
	// CodeNotFound when there is none (it expired or was taken): a flow
	// once taken never comes back.
	UpdateLoginFlow(ctx context.Context, f LoginFlow, ttl time.Duration) error
	// GetLoginFlow returns flow id of realm; CodeNotFound if there is none
	// (or it expired).
	GetLoginFlow(ctx context.Context, realm iam.Realm, id string) (LoginFlow, error)
	// TakeLoginFlow deletes flow id of realm and returns it, atomically:
	// of concurrent calls exactly one gets the flow, the others
	// CodeNotFound. A flow is completed by the caller that took it, so it
	// completes once.
	TakeLoginFlow(ctx context.Context, realm iam.Realm, id string) (LoginFlow, error)

	// SaveBrowserSession stores b for ttl and records b.SessionID among
	// the sessions of b.UserID, so that RevokeUserSessions revokes it.
	// CodeConflict if a record with b.Hash exists.
	SaveBrowserSession(ctx context.Context, b BrowserSession, ttl time.Duration) error
	// GetBrowserSession returns the record with hash, with Revoked set
	// when its session was revoked (RevokeSession, RevokeUserSessions);
	// CodeNotFound if there is none (or it expired).
	GetBrowserSession(ctx context.Context, realm iam.Realm, hash string) (BrowserSession, error)
	// DeleteBrowserSession deletes the record with hash. Idempotent.
	DeleteBrowserSession(ctx context.Context, realm iam.Realm, hash string) error
}
