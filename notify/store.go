package notify

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Store keeps the delivery log, the login-failure counts of the alerts and
// the realms' template overrides. Every implementation passes
// notifytest.Run.
//
// Guarantees:
//   - Every method but Claim is scoped to one realm: an id of another realm
//     is CodeNotFound, never another tenant's delivery.
//   - One delivery per (realm, EventID, Kind): Enqueue of a pair that
//     exists returns the existing delivery and false, also under
//     concurrency (exactly one of concurrent Enqueues creates it).
//   - Claim hands a due delivery to one caller at a time: concurrent Claims
//     (in one process or several sharing a database) never return the
//     same delivery until its lease has passed or ReleaseClaims has
//     released it, and each claim counts one attempt.
//   - A claim records its owner, the claiming process's instance name,
//     until an Update or another Claim of the delivery ends it. Owners are
//     assumed unique among live processes (see ReleaseClaims).
//   - Update and UpdateFailures change a row under a lock held while fn
//     runs: concurrent updates do not lose changes; fn's error aborts the
//     update and is returned as is.
//   - Values are copied in and out.
//   - Errors are *iam.Error: CodeNotFound, CodeConflict, CodeInvalid,
//     CodeUnavailable when the backend is down.
type Store interface {
	// Enqueue records d (ID, Realm, EventID, Kind, Status and timestamps
	// set by the caller) unless the realm has a delivery of (d.EventID,
	// d.Kind): it returns the delivery as stored and whether this call
	// created it. A pending delivery is due at d.NextAttemptAt.
	Enqueue(ctx context.Context, d Delivery) (Delivery, bool, error)
	// Get returns delivery id of realm, or CodeNotFound.
	Get(ctx context.Context, realm iam.Realm, id string) (Delivery, error)
	// List returns the realm's deliveries matching f, newest first (by
	// CreatedAt, then id).
	List(ctx context.Context, realm iam.Realm, f Filter) ([]Delivery, error)
	// Update reads delivery id of realm, lets fn change the copy and
	// stores it, atomically. ID, Realm, EventID, Kind and CreatedAt cannot
	// change. A pending delivery becomes due at its NextAttemptAt; a sent
	// or failed one is no longer claimed. CodeNotFound if it does not
	// exist.
	Update(ctx context.Context, realm iam.Realm, id string, fn func(*Delivery) error) (Delivery, error)
	// Claim returns up to max pending deliveries of any realm due at now
	// (NextAttemptAt <= now), the longest due first, each with Attempts
	// incremented and NextAttemptAt moved to now+lease, claimed by owner
	// (the claiming process's instance name; "" records none): another
	// Claim returns it again only if no Update has settled it by then (the
	// claimer crashed) or once ReleaseClaims of owner has released it.
	Claim(ctx context.Context, owner string, now time.Time, lease time.Duration, max int) ([]Delivery, error)
	// ReleaseClaims ends the claims of owner whose lease has not passed at
	// now: each such pending delivery becomes due at now (NextAttemptAt),
	// with no owner and its Attempts unchanged (the interrupted attempt
	// counts), and ReleaseClaims returns how many it released. A claim an
	// Update or another Claim has ended is not owner's any more.
	//
	// A worker calls it when it starts, before its first Claim, to take
	// back what a dead predecessor of its name had claimed rather than
	// wait for the leases. That is safe because two live processes never
	// share an instance name: a live owner's claims are never released
	// under it. If an operator breaks that rule, a delivery another live
	// process is sending can be claimed and sent again: one mail twice,
	// never a mail lost. owner "" is CodeInvalid (field "owner"): claims
	// without an owner are only ever released by their lease.
	ReleaseClaims(ctx context.Context, owner string, now time.Time) (int, error)
	// UpdateFailures reads the login-failure count of user userID of realm
	// (a zero Failures if there is none), lets fn change it and stores it,
	// atomically, and returns what was stored.
	UpdateFailures(ctx context.Context, realm iam.Realm, userID string, fn func(*Failures) error) (Failures, error)
	// DeleteFailures forgets the login-failure count of a user (nil if
	// there is none).
	DeleteFailures(ctx context.Context, realm iam.Realm, userID string) error
	// PutTemplate stores t, replacing the realm's template of the same
	// kind and locale.
	PutTemplate(ctx context.Context, t Template) error
	// GetTemplate returns the realm's template of kind in locale, or
	// CodeNotFound.
	GetTemplate(ctx context.Context, realm iam.Realm, kind Kind, locale string) (Template, error)
	// ListTemplates returns the realm's templates ordered by kind, then
	// locale.
	ListTemplates(ctx context.Context, realm iam.Realm) ([]Template, error)
	// DeleteTemplate removes the realm's template of kind in locale, or
	// returns CodeNotFound.
	DeleteTemplate(ctx context.Context, realm iam.Realm, kind Kind, locale string) error
	// Prune removes the realm's sent and failed deliveries created before
	// before and returns how many; pending ones stay.
	Prune(ctx context.Context, realm iam.Realm, before time.Time) (int, error)
	// DeleteRealm removes every delivery, count and template of realm and
	// returns how many deliveries it removed.
	DeleteRealm(ctx context.Context, realm iam.Realm) (int, error)
	// Once runs fn at most once per (consumer, eventID) that succeeded:
	// if the pair was recorded before, Once returns nil without calling
	// fn; otherwise fn runs and, if it returns nil, the pair is recorded.
	// fn must use the Store it is given: in PostgreSQL that store works in
	// the transaction that records the pair, so the effect and the record
	// commit together.
	Once(ctx context.Context, consumer, eventID string, fn func(Store) error) error
}
