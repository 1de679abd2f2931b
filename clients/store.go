package clients

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// Record is a client as stored: the Client, its secret and the secret's
// verifier. Public clients have neither. Records carry the secret in clear:
// sealing it at rest, and hashing it, is the store's job (see Store), so no
// other layer sees a sealed value or holds the hashing key.
type Record struct {
	Client Client
	// SecretHash is the store's verifier of Secret (nil for none): what the
	// clients service caches and checks a presented secret against, only
	// through Store.MatchSecret. The store computes it from Secret on every
	// write (a value set by the caller is ignored) and returns it on reads.
	SecretHash []byte
	// Secret is the client secret ("" for none).
	Secret string
}

// Creation is a client to create with the events that record its
// creation (Store.CreateIfAbsent).
type Creation struct {
	Record Record
	Events []iam.Event
}

// CreationRealm returns the realm of cs ("" for none), CodeInvalid if
// they span several: stores check it in CreateIfAbsent.
func CreationRealm(cs []Creation) (iam.Realm, error) {
	var realm iam.Realm
	for i, c := range cs {
		if i > 0 && c.Record.Client.Realm != realm {
			return "", iam.Invalidf("realm", "clients of realms %s and %s in one creation", realm, c.Record.Client.Realm)
		}
		realm = c.Record.Client.Realm
	}
	return realm, nil
}

// SecretMACInput is what stores hash, under their key, into the verifier
// of client id's secret: realm, id and secret, NUL-separated (neither realm
// names nor ids contain NUL), so that a verifier copied to another client's
// row matches nothing there.
func SecretMACInput(realm iam.Realm, id, secret string) []byte {
	return []byte(string(realm) + "\x00" + id + "\x00" + secret)
}

// Filter selects clients of a realm for List.
type Filter struct {
	// ClientID keeps the client with exactly this clientId (empty: all).
	ClientID string
	// Search makes ClientID a case-insensitive substring match.
	Search bool
	// First skips that many clients (ordered by clientId); Max returns at
	// most that many (0: no limit at the store; the service caps it).
	First, Max int
}

// Store keeps clients. Every implementation passes clientstest.Run.
//
// Guarantees:
//   - Every method is scoped to one realm: an id or clientId of another
//     realm is CodeNotFound, never another tenant's client.
//   - ClientID is unique per realm: a Create or Update that would duplicate
//     it is CodeConflict, also under concurrency (exactly one of concurrent
//     creates of one clientId succeeds). The same clientId in two realms is
//     two clients.
//   - Mutating methods are atomic: the change and its events (given, or
//     returned by Update's fn) are recorded together or not at all.
//     Postgres stores write the events to the outbox in the change's
//     transaction; the memory store publishes them after the change,
//     best-effort.
//   - Values are copied in and out.
//   - A store that keeps records at rest seals Secret (clientspg: AES-256-GCM
//     under the deployment key, bound to realm and id; its constructor
//     requires the sealer). A stored secret that does not open with the
//     store's key is CodeInternal. Memory stores keep it as given.
//   - SecretHash is a keyed hash of Secret that the store computes on every
//     Create and Update (clientspg: HMAC-SHA-256 under a subkey of the
//     deployment key, bound to realm and id; memory: under a random key of
//     the process), never an unkeyed digest, so a copy of the stored rows
//     allows no offline guessing of secrets.
//   - Errors are *iam.Error: CodeNotFound, CodeConflict, CodeUnavailable
//     when the backend is down.
type Store interface {
	// Create inserts rec (rec.Client.ID and rec.Client.Realm set by the
	// caller). CodeConflict if the id or the clientId exists in the realm.
	Create(ctx context.Context, rec Record, events ...iam.Event) error
	// CreateIfAbsent inserts each of cs (all of one realm) as Create does,
	// unless the realm has a client with its clientId: that one changes
	// nothing and records none of its events (concurrent calls for one
	// clientId create it once). created[i] reports whether cs[i] was
	// inserted. CodeConflict if an id exists, and then nothing is
	// inserted; CodeInvalid if cs span realms. The realm.created consumer
	// creates a realm's default clients with it; Postgres inserts them and
	// writes their events in one statement, without a savepoint inside a
	// caller's transaction.
	CreateIfAbsent(ctx context.Context, cs ...Creation) (created []bool, err error)
	// Get returns the client with UUID id in realm, or CodeNotFound.
	Get(ctx context.Context, realm iam.Realm, id string) (Record, error)
	// GetByClientID returns the client with public clientId in realm, or
	// CodeNotFound.
	GetByClientID(ctx context.Context, realm iam.Realm, clientID string) (Record, error)
	// List returns the realm's clients matching f, ordered by clientId.
	List(ctx context.Context, realm iam.Realm, f Filter) ([]Client, error)
	// Update reads client id of realm, lets fn change the copy (including
	// its secret) and stores it with the events fn returns, atomically: no
	// other change to the client happens in between. fn's error aborts the
	// update and is returned as is. ID, Realm and CreatedAt cannot change.
	// CodeNotFound if the client does not exist, CodeConflict if the new
	// clientId is taken.
	Update(ctx context.Context, realm iam.Realm, id string, fn func(*Record) ([]iam.Event, error)) (Record, error)
	// Delete removes client id of realm with its events. CodeNotFound if it
	// does not exist.
	Delete(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error
	// DeleteRealm removes every client of realm and returns how many.
	DeleteRealm(ctx context.Context, realm iam.Realm) (int, error)
	// MatchSecret reports whether secret is the secret whose verifier is
	// hash (a Record.SecretHash this store returned for client id of
	// realm), comparing in constant time, and whether that verifier is
	// stale: made by an older scheme (clientspg: an unkeyed SHA-256 stored
	// before verifiers were keyed, or an HMAC under a previous deployment
	// key), which any Update of the client replaces. A nil or malformed
	// hash matches nothing. It reads nothing from the backend.
	MatchSecret(realm iam.Realm, id string, hash []byte, secret string) (match, stale bool)
	// Atomically runs fn with a Store whose changes to realm (made through
	// it) are kept, with their events, all together if fn returns nil, and
	// none of them otherwise (Postgres: one transaction; memory: fn works
	// on a copy of the realm's clients, which replaces them at the end,
	// the store's other writers and readers waiting meanwhile). fn must
	// not use this Store itself, and changes only realm. fn's error is
	// returned as is.
	Atomically(ctx context.Context, realm iam.Realm, fn func(Store) error) error
	// Once runs fn at most once per (consumer, eventID) that succeeded:
	// if the pair was recorded before, Once returns nil without calling fn;
	// otherwise fn runs and, if it returns nil, the pair is recorded. fn
	// must use the Store it is given: in Postgres that store works in the
	// transaction that records the pair, so the effect and the record
	// commit together.
	Once(ctx context.Context, consumer, eventID string, fn func(Store) error) error
}
