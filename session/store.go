package session

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Store keeps sessions. sessionmem (memory) and sessionredis (Redis)
// implement it; every implementation passes sessiontest.Run.
//
// Guarantees:
//   - Every method is scoped to one realm: an id of another realm is
//     unknown, never another tenant's session.
//   - Expiry is the store's: a session is gone (Get: CodeNotFound; State:
//     Ended) once its IdleExpiresAt or ExpiresAt has passed by the store's
//     clock, whether or not anything read it (sessionredis sets Redis TTLs
//     from them). A store remembers an ended id until the session's
//     ExpiresAt, so State tells an ended session from one it never saw.
//   - A session never comes back: once terminated, forbidden or expired,
//     its id cannot be created again.
//   - Terminate is atomic and happens once: of concurrent or repeated
//     terminations of one session, exactly one returns it, and its event is
//     recorded (pending) together with the termination, so it is neither
//     lost nor recorded twice. Pending events stay until Published.
//   - Indexes (by user, by client, by realm) never show an ended session:
//     List and Stats drop the ids of ended sessions as they read them.
//   - Values are copied in and out.
//   - Errors are *iam.Error: CodeNotFound, CodeConflict, CodeInvalid,
//     CodeUnavailable when the backend is down.
type Store interface {
	// Create records s as an active session (ID, Realm, UserID, Started,
	// LastAccess, IdleExpiresAt and ExpiresAt set by the caller;
	// IdleExpiresAt in the future and not after ExpiresAt, else
	// CodeInvalid). If session s.ID is active, Create joins it instead: s's
	// Clients are added to it and its LastAccess and IdleExpiresAt move to
	// s's when later; its other fields stay. It returns the session as
	// stored. CodeConflict if s.ID has ended (terminated, forbidden or
	// expired).
	Create(ctx context.Context, s Session) (Session, error)
	// Get returns active session id of realm, or CodeNotFound.
	Get(ctx context.Context, realm iam.Realm, id string) (Session, error)
	// State returns what the store knows of session id of realm.
	State(ctx context.Context, realm iam.Realm, id string) (State, error)
	// Touch records a use of active session id at time at: LastAccess and
	// IdleExpiresAt move to at and idleExpiresAt when later (idleExpiresAt
	// is capped at the session's ExpiresAt). It returns the session as
	// stored; CodeNotFound if it is not active.
	Touch(ctx context.Context, realm iam.Realm, id string, at, idleExpiresAt time.Time) (Session, error)
	// List returns the active sessions of realm that f selects, in f's
	// order.
	List(ctx context.Context, realm iam.Realm, f Filter) ([]Session, error)
	// Stats returns, for each client that an active session of realm
	// used, how many did, ordered by clientId.
	Stats(ctx context.Context, realm iam.Realm) ([]ClientStats, error)
	// Terminate ends active session id of realm and records, atomically
	// with it, the event that event returns for the session as pending
	// (see Pending). It returns the ended session. CodeNotFound if the
	// session is not active (never was, already ended or expired): nothing
	// changes then. event's error aborts the termination and is returned
	// as is.
	Terminate(ctx context.Context, realm iam.Realm, id string, event func(Session) (iam.Event, error)) (Session, error)
	// Forbid records id as ended without a session, until until, so that
	// it cannot be created (a logout that arrived before its login). It
	// reports whether it did: false when the id is known (active or ended)
	// already.
	Forbid(ctx context.Context, realm iam.Realm, id string, until time.Time) (bool, error)
	// Pending returns up to limit pending events of every realm recorded
	// before before, oldest first.
	Pending(ctx context.Context, before time.Time, limit int) ([]iam.Event, error)
	// Published marks the pending event of session id of realm as
	// published: Pending returns it no more. Idempotent.
	Published(ctx context.Context, realm iam.Realm, id string) error
	// DeleteRealm removes every session, ended id and pending event of
	// realm (the realm was deleted). Idempotent.
	DeleteRealm(ctx context.Context, realm iam.Realm) error
}

// CheckCreate validates s for Store.Create at now: a valid realm, an id and
// a user id (CodeInvalid, field "id" or "userId"), an idle expiry in the
// future and not after the max expiry (CodeInvalid, field
// "idleExpiresAt"). Stores call it first.
func CheckCreate(s Session, now time.Time) error {
	if err := s.Realm.Validate(); err != nil {
		return err
	}
	switch {
	case s.ID == "":
		return iam.Invalidf("id", "session id is required")
	case s.UserID == "":
		return iam.Invalidf("userId", "user id is required")
	case !now.Before(s.IdleExpiresAt) || s.IdleExpiresAt.After(s.ExpiresAt):
		return iam.Invalidf("idleExpiresAt", "idle expiry must be in the future and not after the session's expiry")
	}
	return nil
}
