package userspg

import (
	"context"
	"embed"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userspg/internal/db"
)

// migrations holds the users service's schema (tern format). It is constant
// data.
//
//go:embed migrations/*.sql
var migrations embed.FS

// MigrationName names the users migration version table
// ("schema_version_users").
const MigrationName = "users"

// Migrate creates or updates the users tables (and iampg's outbox and
// processed_events) in pool's database. It needs the pg_trgm extension,
// which it creates (a trusted extension: the database owner may). Safe to
// call from several processes at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return iampg.Migrate(ctx, pool, migrations, MigrationName)
}

// Store is the PostgreSQL users.Store. Its events go to iampg's outbox in
// the transaction of the change (publish them with iampg.Relay). The caller
// owns the database handle; Store never closes it.
type Store struct {
	db iampg.DB
}

var _ users.Store = (*Store)(nil)

// New returns a Store on db (a *pgxpool.Pool, or a transaction), whose
// database Migrate has prepared. Each statement is bounded by its context's
// per-call budget (iampg.WithCallTimeouts).
func New(db iampg.DB) *Store { return &Store{db: iampg.WithCallTimeouts(db)} }

func queries(q db.DBTX) *db.Queries { return db.New(q) }

// tx runs fn in a transaction (a savepoint inside a caller's transaction)
// and writes events to the outbox in it. Errors are mapped once, here.
func (s *Store) tx(ctx context.Context, op string, events []iam.Event, fn func(q *db.Queries) error) error {
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		if err := fn(queries(tx)); err != nil {
			return err
		}
		return iampg.Write(ctx, tx, events...)
	})
	return mapError(op, err)
}

// Constraints whose violations name a field.
const (
	constraintPrimaryKey = "users_pkey"
	constraintUsername   = "users_username_key"
	constraintEmail      = "users_email_key"
)

// mapError maps database errors once: a taken username, email or id is a
// conflict naming that field.
func mapError(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return &iam.Error{Code: iam.CodeNotFound, Op: op, Message: "not found", Err: err}
	}
	var taken *iam.Error
	switch iampg.ConstraintName(err) {
	case constraintUsername:
		taken = errUsernameTaken()
	case constraintEmail:
		taken = iam.Duplicatef("email", "a user with this email already exists")
	case constraintPrimaryKey:
		taken = iam.Duplicatef("id", "a user with this id already exists")
	}
	if taken != nil && iampg.SQLState(err) == "23505" {
		taken.Op, taken.Err = op, err
		return taken
	}
	return iampg.MapError(op, err)
}

func errUsernameTaken() *iam.Error {
	return iam.Duplicatef("username", "a user with this username already exists")
}

// notFound is the error of a write that matched no row.
func notFound(what string) error { return iam.NotFoundf("%s not found", what) }

// userFromRow converts a users row.
func userFromRow(r db.User) (users.User, error) {
	u := users.User{
		ID:              r.ID,
		Realm:           iam.Realm(r.RealmName),
		Username:        r.Username,
		Email:           r.Email,
		EmailVerified:   r.EmailVerified,
		FirstName:       r.FirstName,
		LastName:        r.LastName,
		Enabled:         r.Enabled,
		RequiredActions: r.RequiredActions,
		CreatedAt:       r.CreatedAt.UTC(),
		UpdatedAt:       r.UpdatedAt.UTC(),
	}
	if err := json.Unmarshal(r.Attributes, &u.Attributes); err != nil {
		return users.User{}, &iam.Error{Code: iam.CodeInternal, Op: "userspg.userFromRow", Err: err}
	}
	if u.RequiredActions == nil {
		u.RequiredActions = []string{}
	}
	extra, err := iampg.ParseExtra("userspg.userFromRow", r.Extra)
	if err != nil {
		return users.User{}, err
	}
	u.Extra = extra
	return u, nil
}

func usersFromRows(rows []db.User) ([]users.User, error) {
	out := make([]users.User, 0, len(rows))
	for _, r := range rows {
		u, err := userFromRow(r)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// attributes encodes attributes for the jsonb column.
func attributes(m map[string][]string) ([]byte, error) {
	if m == nil {
		m = map[string][]string{}
	}
	return json.Marshal(m)
}

// emailKey is the unique-email key of u.
func emailKey(u users.User, unique bool) pgtype.Text {
	return pgtype.Text{String: u.Email, Valid: unique && u.Email != ""}
}

// actions never passes NULL for the NOT NULL array.
func actions(a []string) []string {
	if a == nil {
		return []string{}
	}
	return a
}

func createParams(u users.User, unique bool) (db.CreateUserParams, error) {
	attrs, err := attributes(u.Attributes)
	if err != nil {
		return db.CreateUserParams{}, err
	}
	extra, err := iampg.ExtraJSON("userspg.params", u.Extra)
	if err != nil {
		return db.CreateUserParams{}, err
	}
	return db.CreateUserParams{RealmName: string(u.Realm), ID: u.ID, Username: u.Username, Email: u.Email,
		EmailKey: emailKey(u, unique), EmailVerified: u.EmailVerified, FirstName: u.FirstName, LastName: u.LastName,
		Enabled: u.Enabled, Attributes: attrs, RequiredActions: actions(u.RequiredActions),
		CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, Extra: extra}, nil
}

func updateParams(u users.User, unique bool) (db.UpdateUserParams, error) {
	p, err := createParams(u, unique)
	if err != nil {
		return db.UpdateUserParams{}, err
	}
	return db.UpdateUserParams{RealmName: p.RealmName, ID: p.ID, Username: p.Username, Email: p.Email,
		EmailKey: p.EmailKey, EmailVerified: p.EmailVerified, FirstName: p.FirstName, LastName: p.LastName,
		Enabled: p.Enabled, Attributes: p.Attributes, RequiredActions: p.RequiredActions, Extra: p.Extra,
		UpdatedAt: p.UpdatedAt}, nil
}

// putPassword stores c as the user's password.
func putPassword(ctx context.Context, q *db.Queries, realm iam.Realm, userID string, c users.Credential) error {
	return q.PutCredential(ctx, db.PutCredentialParams{RealmName: string(realm), UserID: userID,
		Type: users.CredentialPassword, ID: c.ID, UserLabel: c.UserLabel, Secret: c.Hash, CreatedAt: c.CreatedAt})
}

// Create implements users.Store.
func (s *Store) Create(ctx context.Context, u users.User, opts users.CreateOptions, events ...iam.Event) error {
	p, err := createParams(u, opts.UniqueEmail)
	if err != nil {
		return iam.Wrap("userspg.Create", err)
	}
	return s.tx(ctx, "userspg.Create", events, func(q *db.Queries) error {
		if err := q.CreateUser(ctx, p); err != nil {
			return err
		}
		if opts.Password != nil {
			return putPassword(ctx, q, u.Realm, u.ID, *opts.Password)
		}
		return nil
	})
}

// Get implements users.Store.
func (s *Store) Get(ctx context.Context, realm iam.Realm, id string) (users.User, error) {
	r, err := queries(s.db).GetUser(ctx, db.GetUserParams{RealmName: string(realm), ID: id})
	if err != nil {
		return users.User{}, mapError("userspg.Get", err)
	}
	return userFromRow(r)
}

// GetByUsername implements users.Store.
func (s *Store) GetByUsername(ctx context.Context, realm iam.Realm, username string) (users.User, error) {
	r, err := queries(s.db).GetUserByUsername(ctx, db.GetUserByUsernameParams{RealmName: string(realm), Username: username})
	if err != nil {
		return users.User{}, mapError("userspg.GetByUsername", err)
	}
	return userFromRow(r)
}

// GetByEmail implements users.Store.
func (s *Store) GetByEmail(ctx context.Context, realm iam.Realm, email string) (users.User, error) {
	const op = "userspg.GetByEmail"
	if email == "" {
		return users.User{}, notFound("user")
	}
	rows, err := queries(s.db).GetUsersByEmail(ctx, db.GetUsersByEmailParams{RealmName: string(realm), Email: email})
	switch {
	case err != nil:
		return users.User{}, mapError(op, err)
	case len(rows) == 0:
		return users.User{}, notFound("user")
	case len(rows) > 1:
		return users.User{}, iam.Duplicatef("email", "several users have this email")
	}
	return userFromRow(rows[0])
}

// Update implements users.Store: the row is locked (SELECT ... FOR UPDATE)
// while fn runs.
func (s *Store) Update(ctx context.Context, realm iam.Realm, id string, opts users.UpdateOptions, fn func(*users.User) ([]iam.Event, error)) (users.User, error) {
	const op = "userspg.Update"
	var out users.User
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		q := queries(tx)
		row, err := q.GetUserForUpdate(ctx, db.GetUserForUpdateParams{RealmName: string(realm), ID: id})
		if err != nil {
			return err
		}
		cur, err := userFromRow(row)
		if err != nil {
			return err
		}
		next := cur.Clone()
		events, err := fn(&next)
		if err != nil {
			return err
		}
		next.ID, next.Realm, next.CreatedAt = cur.ID, cur.Realm, cur.CreatedAt
		p, err := updateParams(next, opts.UniqueEmail)
		if err != nil {
			return err
		}
		if _, err := q.UpdateUser(ctx, p); err != nil {
			return err
		}
		out = next
		return iampg.Write(ctx, tx, events...)
	})
	if err != nil {
		return users.User{}, mapError(op, err)
	}
	return out, nil
}

// Delete implements users.Store.
func (s *Store) Delete(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error {
	return s.tx(ctx, "userspg.Delete", events, func(q *db.Queries) error {
		n, err := q.DeleteUser(ctx, db.DeleteUserParams{RealmName: string(realm), ID: id})
		if err == nil && n == 0 {
			return notFound("user")
		}
		return err
	})
}

// DeleteRealm implements users.Store.
func (s *Store) DeleteRealm(ctx context.Context, realm iam.Realm) (int, error) {
	var n int64
	err := s.tx(ctx, "userspg.DeleteRealm", nil, func(q *db.Queries) error {
		var err error
		n, err = q.DeleteRealmUsers(ctx, string(realm))
		return err
	})
	return int(n), err
}

// Once implements users.Store with iampg.HandleOnce: fn's store works in the
// transaction that records the event as handled.
func (s *Store) Once(ctx context.Context, consumer, eventID string, fn func(users.Store) error) error {
	return iampg.HandleOnce(ctx, s.db, consumer, iam.Event{ID: eventID}, func(tx pgx.Tx) error { return fn(New(tx)) })
}
