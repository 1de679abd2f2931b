package mfa

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Store keeps the enrolled factors. Every implementation passes
// mfatest.RunStore.
//
// Guarantees:
//   - Every method is scoped to one realm and one user: a factor id of
//     another realm or user is CodeNotFound, never another tenant's factor.
//   - A user has at most one TypeRecoveryCodes factor: a Create of a second
//     is CodeConflict (field "type"), also when two creates race.
//   - Update changes the factor as it is when the change is written (the
//     row locked, or the store's lock held, while fn runs): concurrent
//     updates all apply, and of two updates that each need what the other
//     removes (one recovery code used twice) exactly one succeeds.
//   - Values are copied in and out.
//   - A store that keeps factors at rest seals Secret (mfapg: AES-256-GCM
//     under the deployment key, bound to realm, user and id; its constructor
//     requires the sealer). A stored secret that does not open with the
//     store's key is CodeInternal. Memory stores keep it as given.
//   - Errors are *iam.Error: CodeNotFound, CodeConflict, CodeUnavailable
//     when the backend is down.
type Store interface {
	// Create inserts f (f.ID, f.Realm, f.UserID set by the caller).
	// CodeConflict if the id exists in the realm, or for a second set of
	// recovery codes of the user.
	Create(ctx context.Context, f Factor) error
	// Get returns factor id of user userID in realm, or CodeNotFound.
	Get(ctx context.Context, realm iam.Realm, userID, id string) (Factor, error)
	// List returns the user's factors, pending ones included, oldest first
	// (by CreatedAt, then id). A user without factors has none (not an
	// error).
	List(ctx context.Context, realm iam.Realm, userID string) ([]Factor, error)
	// Update reads factor id of the user, lets fn change the copy and
	// stores it, atomically: no other change to the factor happens in
	// between. fn's error aborts the update and is returned as is. ID,
	// Realm, UserID and Type cannot change. CodeNotFound if the factor
	// does not exist (fn is not called).
	Update(ctx context.Context, realm iam.Realm, userID, id string, fn func(*Factor) error) (Factor, error)
	// Delete removes factor id of the user. CodeNotFound if it does not
	// exist.
	Delete(ctx context.Context, realm iam.Realm, userID, id string) error
	// DeleteUser removes every factor of the user and returns how many
	// there were; a user without factors is not an error.
	DeleteUser(ctx context.Context, realm iam.Realm, userID string) (int, error)
	// DeleteRealm removes every factor of realm and returns how many.
	DeleteRealm(ctx context.Context, realm iam.Realm) (int, error)
	// Once runs fn at most once per (consumer, eventID) that succeeded: if
	// the pair was recorded before, Once returns nil without calling fn;
	// otherwise fn runs and, if it returns nil, the pair is recorded. fn
	// must use the Store it is given: in PostgreSQL that store works in the
	// transaction that records the pair, so the effect and the record
	// commit together.
	Once(ctx context.Context, consumer, eventID string, fn func(Store) error) error
}

// Challenge is an email one-time code waiting to be entered. Only a hash
// of the code is kept.
type Challenge struct {
	Realm  iam.Realm
	UserID string
	// ID is random and unique per challenge: it salts Hash and tells a
	// challenge from the one that replaced it.
	ID string
	// Hash is ChallengeHash(ID, code).
	Hash      []byte
	ExpiresAt time.Time
	// Attempts counts the codes entered against it so far.
	Attempts int
}

// Failures is a user's count of failed second-factor verifications.
type Failures struct {
	Count int
	Last  time.Time // zero when Count is 0
}

// EphemeralStore keeps the short-lived state of verification: which TOTP
// steps were used (replay), pending email codes, failure counters and send
// counters. Every implementation passes mfatest.RunEphemeral; mfaredis
// shares it between replicas, mfamem keeps it in one process.
//
// Guarantees: every key is scoped to a realm; each method is atomic on its
// own, also across replicas sharing the backend; records disappear after
// their TTL; errors are *iam.Error (CodeUnavailable when the backend is
// down, CodeInvalid for a TTL that is not positive).
type EphemeralStore interface {
	// UseStep records that step was accepted for factor factorID and
	// reports true, unless step or a later one was recorded before (a
	// replay, or an older code after a newer one), when it reports false
	// and records nothing. Of concurrent calls with one step exactly one
	// reports true. The record lasts ttl after the last accepted step.
	UseStep(ctx context.Context, realm iam.Realm, factorID string, step int64, ttl time.Duration) (bool, error)

	// SaveChallenge makes c the user's pending email code for ttl,
	// replacing an earlier one.
	SaveChallenge(ctx context.Context, c Challenge, ttl time.Duration) error
	// AttemptChallenge counts one attempt at the user's pending challenge
	// and returns it with Attempts including this one. CodeNotFound when
	// the user has none (never sent, expired, consumed or deleted).
	AttemptChallenge(ctx context.Context, realm iam.Realm, userID string) (Challenge, error)
	// DeleteChallenge removes the user's pending challenge if its id is id
	// and reports whether it did: of concurrent calls exactly one reports
	// true, and a challenge that replaced it is left alone.
	DeleteChallenge(ctx context.Context, realm iam.Realm, userID, id string) (bool, error)

	// CountSend counts one code sent to the user in the current window of
	// length window (which starts with the first send) and returns the
	// count including this one and how long until the window ends.
	CountSend(ctx context.Context, realm iam.Realm, userID string, window time.Duration) (int, time.Duration, error)

	// RecordFailure counts a failed verification at now and returns the
	// new count. A count whose last failure is older than resetAfter
	// starts again at 1. The record lasts ttl.
	RecordFailure(ctx context.Context, realm iam.Realm, userID string, now time.Time, resetAfter, ttl time.Duration) (Failures, error)
	// Failures returns the user's count (zero when none).
	Failures(ctx context.Context, realm iam.Realm, userID string) (Failures, error)
	// ClearFailures forgets the user's failures.
	ClearFailures(ctx context.Context, realm iam.Realm, userID string) error

	// ForgetUser removes the user's pending challenge, send count and
	// failures (user.deleted). Records of factors expire with their TTL.
	ForgetUser(ctx context.Context, realm iam.Realm, userID string) error
}
