package rbacpg

import (
	"context"
	"embed"
	"encoding/json"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacpg/internal/db"
)

// migrations holds rbac's schema (tern format). It is constant data.
//
//go:embed migrations/*.sql
var migrations embed.FS

// MigrationName names rbac's migration version table
// ("schema_version_rbac").
const MigrationName = "rbac"

// Migrate creates or updates rbac's tables (and iampg's outbox and
// processed_events) in pool's database. Safe to call from several processes
// at once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return iampg.Migrate(ctx, pool, migrations, MigrationName)
}

// Store is the PostgreSQL rbac.Store. Its events go to iampg's outbox in the
// transaction of the change (publish them with iampg.Relay). The caller owns
// the database handle; Store never closes it.
type Store struct {
	db iampg.DB
}

var _ rbac.Store = (*Store)(nil)

// New returns a Store on db (a *pgxpool.Pool, or a transaction), whose
// database Migrate has prepared. Each statement is bounded by its context's
// per-call budget (iampg.WithCallTimeouts).
func New(db iampg.DB) *Store { return &Store{db: iampg.WithCallTimeouts(db)} }

// queries returns sqlc's queries on q (the pool, or a transaction).
func queries(q db.DBTX) *db.Queries { return db.New(q) }

// tx runs fn in a transaction (a savepoint inside a caller's transaction)
// and writes events to the outbox in it. Errors are mapped once, here.
func (s *Store) tx(ctx context.Context, op string, events []iam.Event, fn func(q *db.Queries, tx pgx.Tx) error) error {
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		if err := fn(queries(tx), tx); err != nil {
			return err
		}
		return iampg.Write(ctx, tx, events...)
	})
	return mapError(op, err)
}

// Constraints whose violations name a field.
const (
	constraintRolePrimaryKey  = "rbac_roles_pkey"
	constraintRoleName        = "rbac_roles_name_key"
	constraintGroupPrimaryKey = "rbac_groups_pkey"
	constraintGroupName       = "rbac_groups_name_key"
	constraintGroupPath       = "rbac_groups_path"
)

// mapError maps database errors once: a taken role name or id is a conflict
// naming that field.
func mapError(op string, err error) error {
	if iampg.SQLState(err) == "23505" {
		var taken *iam.Error
		switch iampg.ConstraintName(err) {
		case constraintRoleName:
			taken = iam.Duplicatef("name", "a role with this name already exists")
		case constraintRolePrimaryKey:
			taken = iam.Duplicatef("id", "a role with this id already exists")
		case constraintGroupName, constraintGroupPath:
			taken = iam.Duplicatef("name", "a group with this name already exists here")
		case constraintGroupPrimaryKey:
			taken = iam.Duplicatef("id", "a group with this id already exists")
		}
		if taken != nil {
			taken.Op, taken.Err = op, err
			return taken
		}
	}
	return iampg.MapError(op, err)
}

// roleFromRow converts a row of rbac_role_view.
func roleFromRow(r db.RbacRoleView) (rbac.Role, error) {
	role := rbac.Role{
		ID:          r.ID,
		Realm:       iam.Realm(r.RealmName),
		Name:        r.Name,
		Description: r.Description,
		ClientUUID:  r.ClientUuid,
		ClientID:    r.ClientID,
		Composite:   r.Composite,
		CreatedAt:   r.CreatedAt,
		UpdatedAt:   r.UpdatedAt,
	}
	if err := json.Unmarshal(r.Attributes, &role.Attributes); err != nil {
		return rbac.Role{}, &iam.Error{Code: iam.CodeInternal, Op: "rbacpg.roleFromRow", Err: err}
	}
	if role.Attributes == nil {
		role.Attributes = map[string][]string{}
	}
	extra, err := iampg.ParseExtra("rbacpg.roleFromRow", r.Extra)
	if err != nil {
		return rbac.Role{}, err
	}
	role.Extra = extra
	return role, nil
}

// rolesFromRows converts rows, ordered as rbac.SortRoles orders.
func rolesFromRows(rows []db.RbacRoleView) ([]rbac.Role, error) {
	roles := make([]rbac.Role, 0, len(rows))
	for _, r := range rows {
		role, err := roleFromRow(r)
		if err != nil {
			return nil, err
		}
		roles = append(roles, role)
	}
	rbac.SortRoles(roles)
	return roles, nil
}

// attributes encodes role attributes for the jsonb column.
func attributes(m map[string][]string) ([]byte, error) {
	if m == nil {
		m = map[string][]string{}
	}
	return json.Marshal(m)
}

// limit turns a maximum (<= 0: none) into a LIMIT parameter (NULL: none).
func limit(max int) pgtype.Int4 {
	if max <= 0 {
		return pgtype.Int4{}
	}
	return pgtype.Int4{Int32: int32(min(max, 1<<31-1)), Valid: true}
}

// offset clamps an offset to int32.
func offset(first int) int32 { return int32(min(max(first, 0), 1<<31-1)) }

// PutClient implements rbac.Store.
func (s *Store) PutClient(ctx context.Context, c rbac.Client, events ...iam.Event) error {
	if len(events) == 0 {
		err := queries(s.db).PutClient(ctx, db.PutClientParams{RealmName: string(c.Realm), ID: c.ID, ClientID: c.ClientID})
		return iampg.MapError("rbacpg.PutClient", err)
	}
	return s.tx(ctx, "rbacpg.PutClient", events, func(q *db.Queries, _ pgx.Tx) error {
		return q.PutClient(ctx, db.PutClientParams{RealmName: string(c.Realm), ID: c.ID, ClientID: c.ClientID})
	})
}

// GetClient implements rbac.Store.
func (s *Store) GetClient(ctx context.Context, realm iam.Realm, id string) (rbac.Client, error) {
	c, err := queries(s.db).GetClient(ctx, db.GetClientParams{RealmName: string(realm), ID: id})
	if err != nil {
		return rbac.Client{}, iampg.MapError("rbacpg.GetClient", err)
	}
	return rbac.Client{Realm: iam.Realm(c.RealmName), ID: c.ID, ClientID: c.ClientID}, nil
}

// FindClient implements rbac.Store.
func (s *Store) FindClient(ctx context.Context, realm iam.Realm, clientID string) (rbac.Client, error) {
	c, err := queries(s.db).FindClient(ctx, db.FindClientParams{RealmName: string(realm), ClientID: clientID})
	if err != nil {
		return rbac.Client{}, iampg.MapError("rbacpg.FindClient", err)
	}
	return rbac.Client{Realm: iam.Realm(c.RealmName), ID: c.ID, ClientID: c.ClientID}, nil
}

// DeleteClient implements rbac.Store.
func (s *Store) DeleteClient(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error {
	return s.tx(ctx, "rbacpg.DeleteClient", events, func(q *db.Queries, _ pgx.Tx) error {
		// Deleting the client row first waits for roles being created for it
		// (they hold its row lock), so the role delete below sees them.
		if err := q.DeleteClient(ctx, db.DeleteClientParams{RealmName: string(realm), ID: id}); err != nil {
			return err
		}
		if err := q.DeleteClientRoles(ctx, db.DeleteClientRolesParams{RealmName: string(realm), ClientUuid: id}); err != nil {
			return err
		}
		if err := q.DeletePrincipal(ctx, db.DeletePrincipalParams{
			RealmName: string(realm), PrincipalType: string(rbac.PrincipalServiceAccount), PrincipalID: id,
		}); err != nil {
			return err
		}
		if err := q.DeletePrincipal(ctx, db.DeletePrincipalParams{ // its scope mappings
			RealmName: string(realm), PrincipalType: string(rbac.PrincipalClient), PrincipalID: id,
		}); err != nil {
			return err
		}
		return q.DeleteMemberships(ctx, db.DeleteMembershipsParams{RealmName: string(realm), UserID: iam.ServiceAccountSubject(id)})
	})
}

// DeleteRealm implements rbac.Store.
func (s *Store) DeleteRealm(ctx context.Context, realm iam.Realm, events ...iam.Event) error {
	return s.tx(ctx, "rbacpg.DeleteRealm", events, func(q *db.Queries, _ pgx.Tx) error {
		if err := q.DeleteRealmMappings(ctx, string(realm)); err != nil {
			return err
		}
		if err := q.DeleteRealmGroups(ctx, string(realm)); err != nil { // and their memberships
			return err
		}
		if err := q.DeleteRealmRoles(ctx, string(realm)); err != nil {
			return err
		}
		return q.DeleteRealmClients(ctx, string(realm))
	})
}

// Atomically implements rbac.Store: fn's Store works in one transaction
// (a savepoint inside a caller's), committed when fn returns nil.
func (s *Store) Atomically(ctx context.Context, _ iam.Realm, fn func(rbac.Store) error) error {
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error { return fn(&Store{db: tx}) })
	return mapError("rbacpg.Atomically", err)
}

// Once implements rbac.Store with iampg.HandleOnce: fn's changes, made
// through the Store it receives, commit together with the processed mark.
// eventID must be a UUID (CodeInvalid otherwise).
func (s *Store) Once(ctx context.Context, consumer, eventID string, fn func(rbac.Store) error) error {
	err := iampg.HandleOnce(ctx, s.db, consumer, iam.Event{ID: eventID}, func(tx pgx.Tx) error {
		return fn(&Store{db: tx})
	})
	return iampg.MapError("rbacpg.Once", err)
}
