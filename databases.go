package opengate

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/auth/authpg"
	"github.com/opengate-iam/opengate/clients/clientspg"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/mfa/mfapg"
	"github.com/opengate-iam/opengate/notify/notifypg"
	"github.com/opengate-iam/opengate/rbac/rbacpg"
	"github.com/opengate-iam/opengate/realms/realmspg"
	"github.com/opengate-iam/opengate/users/userspg"
)

// Databases are the PostgreSQL databases of the services, one each as in the
// microservice deployment. Every field is required: a Databases with a nil
// pool is refused by New rather than silently kept in memory.
type Databases struct {
	Realms  *pgxpool.Pool
	Clients *pgxpool.Pool
	Users   *pgxpool.Pool
	RBAC    *pgxpool.Pool
	Auth    *pgxpool.Pool
	MFA     *pgxpool.Pool
	// Notifications is the notify service's delivery log
	// (opengate_notifications).
	Notifications *pgxpool.Pool
}

// serviceDatabase is one service's database: its name suffix, its pool in
// Databases and its migrations.
type serviceDatabase struct {
	name    string
	pool    **pgxpool.Pool
	migrate func(context.Context, *pgxpool.Pool) error
}

// list returns d's databases in a fixed order; adding a service adds a line.
func (d *Databases) list() []serviceDatabase {
	return []serviceDatabase{
		{"realms", &d.Realms, realmspg.Migrate},
		{"clients", &d.Clients, clientspg.Migrate},
		{"users", &d.Users, userspg.Migrate},
		{"rbac", &d.RBAC, rbacpg.Migrate},
		{"auth", &d.Auth, authpg.Migrate},
		{"mfa", &d.MFA, mfapg.Migrate},
		{"notifications", &d.Notifications, notifypg.Migrate},
	}
}

// check fails when a pool is missing.
func (d *Databases) check() error {
	for _, db := range d.list() {
		if *db.pool == nil {
			return fmt.Errorf("opengate: Databases has no %s pool: give every service its database, or none to keep everything in memory", db.name)
		}
	}
	return nil
}

// Migrate brings every database's schema up to date. It is safe to run from
// several processes at once (each migration holds a database lock) and does
// nothing on an up-to-date database. New calls it.
func (d *Databases) Migrate(ctx context.Context) error {
	if err := d.check(); err != nil {
		return err
	}
	for _, db := range d.list() {
		if err := db.migrate(ctx, *db.pool); err != nil {
			return fmt.Errorf("migrate the %s database: %w", db.name, err)
		}
	}
	return nil
}

// Close closes every pool that is set. Only the opener of the pools (for
// example through OpenDatabases) closes them.
func (d *Databases) Close() {
	for _, db := range d.list() {
		if *db.pool != nil {
			(*db.pool).Close()
		}
	}
}

// OpenDatabases opens one database per service on the PostgreSQL server of
// serverURL, named prefix + service ("opengate_realms", "opengate_users",
// ...), creating those that do not exist (which needs the CREATEDB
// privilege; another process creating one at the same moment is fine). It
// does not migrate them: New does, or Databases.Migrate. The caller closes
// the result; on error every pool it opened is closed.
func OpenDatabases(ctx context.Context, serverURL, prefix string) (*Databases, error) {
	d := &Databases{}
	for _, db := range d.list() {
		pool, err := iampg.OpenDatabase(ctx, serverURL, prefix+db.name)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("database %s%s: %w", prefix, db.name, err)
		}
		*db.pool = pool
	}
	return d, nil
}
