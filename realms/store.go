package realms

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// Store keeps realms. Every implementation passes realmstest.Run.
//
// Guarantees:
//   - Mutating methods are atomic: the change and the events given (or
//     returned by Update's fn) are recorded together or not at all. Postgres
//     stores write the events to the outbox in the change's transaction; the
//     memory store publishes them after the change, best-effort.
//   - Values are copied in and out: callers never share slices or maps with
//     the store.
//   - Errors are *iam.Error: CodeNotFound for a missing realm, CodeConflict
//     for a duplicate name, CodeUnavailable when the backend is down.
type Store interface {
	// Create inserts r with its events. CodeConflict if a realm named
	// r.Name exists.
	Create(ctx context.Context, r Realm, events ...iam.Event) error
	// Get returns the realm called name, or CodeNotFound.
	Get(ctx context.Context, name iam.Realm) (Realm, error)
	// List returns every realm, ordered by name.
	List(ctx context.Context) ([]Realm, error)
	// Update reads the realm called name, lets fn change the copy, and
	// stores it with the events fn returns, atomically: no other change to
	// the realm happens in between. fn's error aborts the update unchanged
	// and is returned as is. fn cannot rename the realm (Name is kept).
	// CodeNotFound if the realm does not exist. Returns the stored realm.
	Update(ctx context.Context, name iam.Realm, fn func(*Realm) ([]iam.Event, error)) (Realm, error)
	// Delete removes the realm called name with its events. CodeNotFound if
	// it does not exist.
	Delete(ctx context.Context, name iam.Realm, events ...iam.Event) error
}
