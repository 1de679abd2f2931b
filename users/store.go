package users

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Store persists users, their password credentials and action tokens. Every
// implementation passes userstest.Run.
//
// Guarantees every implementation gives:
//
//   - Realm scoping: every method reads and writes only rows of the realm it
//     is given; an id of another realm is not found.
//   - Atomicity: each mutating method applies its change and records its
//     events together — either both happen or neither (the Postgres store
//     writes them to the outbox in the same transaction; the memory store
//     publishes them after applying the change, best-effort).
//   - Uniqueness: usernames are unique per realm, and so are the emails of
//     users written with UniqueEmail; a write that would break this fails
//     with CodeConflict whose Field names what is taken ("username",
//     "email" or "id"), also when two writes race.
//   - No lost updates: Update changes the user as it is when the change is
//     written, never a copy read earlier; concurrent updates all apply.
//   - Values are copied in and out: callers may keep and modify what they
//     passed or got.
//
// The Store does not validate or normalise users beyond that: the Service
// does. Usernames and emails reach it lowercase (a store may reject
// uppercase with CodeInvalid).
type Store interface {
	UserStore
	CredentialStore
	TokenStore
	// Once runs fn at most once per (consumer, eventID) that succeeded: if
	// the pair was recorded before, Once returns nil without calling fn;
	// else it calls fn with a Store whose writes are recorded together with
	// the pair (Postgres: one transaction, iampg.HandleOnce; memory:
	// iammem.Once, where fn's writes before a failure stay). fn's error is
	// returned and leaves the pair unrecorded, so a redelivery runs fn
	// again. CodeInvalid for an empty consumer or an event id that is not a
	// UUID (Postgres) or empty.
	Once(ctx context.Context, consumer, eventID string, fn func(Store) error) error
}

// UserStore is the users part of Store.
type UserStore interface {
	// Create inserts u (u.ID, u.Realm set by the caller) and, if opts.Password
	// is set, its password credential. CodeConflict if the username (or,
	// with opts.UniqueEmail, the email) is taken in the realm, or the id
	// exists.
	Create(ctx context.Context, u User, opts CreateOptions, events ...iam.Event) error
	// Get returns the user with id in realm, or CodeNotFound.
	Get(ctx context.Context, realm iam.Realm, id string) (User, error)
	// GetByUsername returns the user named username (lowercase), or
	// CodeNotFound.
	GetByUsername(ctx context.Context, realm iam.Realm, username string) (User, error)
	// GetByEmail returns the one user whose email is email (lowercase):
	// CodeNotFound if none, CodeConflict if several share it.
	GetByEmail(ctx context.Context, realm iam.Realm, email string) (User, error)
	// List returns the users matching f ordered by username, skipping
	// f.First and returning at most f.Max (f is normalised by the Service:
	// Max > 0, lowercase match values).
	List(ctx context.Context, realm iam.Realm, f Filter) ([]User, error)
	// Count returns how many users match f, ignoring f.First and f.Max.
	Count(ctx context.Context, realm iam.Realm, f Filter) (int, error)
	// Update reads the user id of realm, lets fn change the copy, and
	// stores it with the events fn returns, atomically: no other change to
	// the user happens in between (Postgres: one transaction holding the
	// row lock; memory: under the store's lock, so fn must not call the
	// store). fn's error aborts the update unchanged and is returned as is.
	// ID, Realm and CreatedAt cannot change. opts.UniqueEmail says whether
	// the email must be unique from now on. CodeNotFound if the user does
	// not exist (fn is not called), CodeConflict with Field "username" or
	// "email" if the new one is taken. Returns the stored user.
	Update(ctx context.Context, realm iam.Realm, id string, opts UpdateOptions, fn func(*User) ([]iam.Event, error)) (User, error)
	// Delete removes the user with its credentials, password history and
	// tokens. CodeNotFound if it does not exist.
	Delete(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error
	// DeleteRealm removes every user of realm (with their credentials and
	// tokens) and returns how many there were. Deleting an empty realm is
	// not an error, so it is idempotent.
	DeleteRealm(ctx context.Context, realm iam.Realm) (int, error)
	// Import writes a batch of users atomically: either every item's
	// outcome happens or none does (see ImportBatch).
	Import(ctx context.Context, realm iam.Realm, b ImportBatch) ([]ImportOutcome, error)
}

// CredentialStore is the password part of Store. A user has at most one
// password credential.
type CredentialStore interface {
	// GetPassword returns the user's password credential with its Hash, or
	// CodeNotFound if the user has none (or does not exist).
	GetPassword(ctx context.Context, realm iam.Realm, userID string) (Credential, error)
	// PasswordHistory returns up to n earlier password hashes of the user,
	// newest first (not including the current one).
	PasswordHistory(ctx context.Context, realm iam.Realm, userID string, n int) ([]string, error)
	// SetPassword makes c.Credential the user's password. The previous
	// hash, if any, joins the history, of which only the newest
	// c.KeepHistory entries are kept. With c.SetRequiredActions, the user's
	// required actions become c.RequiredActions in the same write.
	// CodeNotFound if the user does not exist.
	SetPassword(ctx context.Context, realm iam.Realm, userID string, c PasswordChange, events ...iam.Event) error
	// RehashPassword replaces the user's password hash oldHash by newHash,
	// keeping the credential's id and creation time — only if the current
	// hash is still oldHash (CodeConflict otherwise, e.g. after a
	// concurrent password change). It records no history and no events.
	RehashPassword(ctx context.Context, realm iam.Realm, userID, oldHash, newHash string) error
	// DeletePassword removes the user's password credential with id credID
	// (CodeNotFound if there is none with that id).
	DeletePassword(ctx context.Context, realm iam.Realm, userID, credID string, events ...iam.Event) error
}

// TokenStore is the action-token part of Store. Tokens are stored by hash
// only.
type TokenStore interface {
	// CreateToken stores t, replacing the user's earlier tokens for the same
	// action and removing the user's tokens that expired before
	// t.CreatedAt. CodeNotFound if the user does not exist.
	CreateToken(ctx context.Context, t ActionToken, events ...iam.Event) error
	// GetToken returns the token with hash, or CodeNotFound. It does not
	// check expiry.
	GetToken(ctx context.Context, realm iam.Realm, hash string) (ActionToken, error)
	// ConsumeToken deletes and returns the token with hash: of concurrent
	// calls exactly one succeeds, the others get CodeNotFound.
	ConsumeToken(ctx context.Context, realm iam.Realm, hash string) (ActionToken, error)
}

// CreateOptions are the store-level details of Create.
type CreateOptions struct {
	// UniqueEmail enforces, atomically, that no other user of the realm
	// written with UniqueEmail has the same email.
	UniqueEmail bool
	// Password, if set, becomes the user's password credential.
	Password *Credential
}

// UpdateOptions are the store-level details of Update.
type UpdateOptions struct {
	// UniqueEmail enforces, atomically, that no other user of the realm
	// written with UniqueEmail has the same email.
	UniqueEmail bool
}

// Credential types.
const (
	CredentialPassword = "password"
)

// Credential is a stored credential. Hash is secret: it never leaves the
// Service (Service.Credentials clears it) and never appears in events.
type Credential struct {
	ID        string
	Type      string // CredentialPassword
	UserLabel string
	CreatedAt time.Time
	Hash      string // encoded hash (see package password)
}

// PasswordChange is a new password for CredentialStore.SetPassword.
type PasswordChange struct {
	Credential  Credential
	KeepHistory int
	// SetRequiredActions replaces the user's required actions with
	// RequiredActions in the same write.
	SetRequiredActions bool
	RequiredActions    []string
}

// Token actions.
const (
	TokenVerifyEmail      = "verify-email"
	TokenResetCredentials = "reset-credentials"
)

// ActionToken is a single-use token mailed to a user. Only its SHA-256
// (hex) is stored.
type ActionToken struct {
	Realm     iam.Realm
	Hash      string // hex SHA-256 of the token
	UserID    string
	Action    string // TokenVerifyEmail or TokenResetCredentials
	Email     string // the address the token was sent to
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Match is how a search string matches a field.
type Match string

// Matches.
const (
	MatchPrefix Match = "prefix"
	MatchInfix  Match = "infix"
	MatchExact  Match = "exact"
)

// Filter selects users for List and Count. Zero fields do not filter. All
// string matches are case-insensitive.
type Filter struct {
	// Search matches username, email, first or last name with SearchMode.
	// Through the Service it follows Keycloak's syntax: "foo" or "foo*" is
	// a prefix search, "*foo*" an infix search, "\"foo\"" an exact one.
	Search     string
	SearchMode Match
	// Username, Email, FirstName and LastName match as substrings, or
	// exactly with Exact.
	Username, Email, FirstName, LastName string
	Exact                                bool
	Enabled                              *bool
	EmailVerified                        *bool
	// Attributes requires, for each key, that value be among the user's
	// values of that attribute (exact, case-sensitive).
	Attributes map[string]string
	First, Max int
}

// ImportMode says what Import does with a user whose username exists
// (iam.ImportMode).
type ImportMode = iam.ImportMode

// Import modes (Keycloak's ifResourceExists).
const (
	ImportFail      = iam.ImportFail
	ImportSkip      = iam.ImportSkip
	ImportOverwrite = iam.ImportOverwrite
)

// ImportAction is what happened to one imported user (iam.ImportAction).
type ImportAction = iam.ImportAction

// Import actions (Keycloak's partialImport result actions).
const (
	ImportAdded       = iam.ImportAdded
	ImportSkipped     = iam.ImportSkipped
	ImportOverwritten = iam.ImportOverwritten
)

// ImportItem is one user of an ImportBatch.
type ImportItem struct {
	User     User        // validated, lowercase, with an ID
	Password *Credential // nil: no password
}

// ImportBatch is a Store.Import request. For each item whose username
// exists in the realm, Mode decides: ImportFail fails the whole batch with
// CodeConflict, ImportSkip leaves the existing user alone, ImportOverwrite
// replaces its fields and password (keeping its ID and CreatedAt; no
// password in the item removes the existing one). Other items are added.
// An email conflict (with UniqueEmail) fails the whole batch.
type ImportBatch struct {
	Mode        ImportMode
	UniqueEmail bool
	Items       []ImportItem
	// MayOverwrite, if set, is asked about each existing user before
	// ImportOverwrite replaces it, with the user as stored at that moment
	// (inside the batch's transaction or lock: it must be quick and must
	// not call the store). Its error fails the whole batch, unchanged.
	MayOverwrite func(existing User) error
	// Events returns the events recording one outcome; the store records
	// them with the batch. Nil records none.
	Events func(ImportOutcome) []iam.Event
}

// ImportOutcome is the result for one ImportItem, in the batch's order.
type ImportOutcome struct {
	Action ImportAction
	User   User // as stored (for ImportSkipped: the existing user)
}
