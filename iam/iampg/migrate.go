package iampg

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"

	"github.com/opengate-iam/opengate/iam"
)

// SharedVersionTable is the version table of the tables this package owns
// (outbox, processed_events). Service version tables are
// "schema_version_" + name.
const SharedVersionTable = "schema_version_iampg"

// migrateLockKey is the session advisory lock that serializes Migrate calls
// on one database ("opengate" in ASCII).
const migrateLockKey int64 = 0x6f70656e67617465

// sharedMigrations holds the outbox and processed_events tables. It is
// constant data, the one kind of package-level variable Go's embed allows.
//
//go:embed migrations/*.sql
var sharedMigrations embed.FS

// namePattern restricts service names, which become part of a table name.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Migrate brings a service's database up to date in one call: first the
// shared tables of this package (outbox, processed_events; version table
// SharedVersionTable), then the service's own migrations from fsys (version
// table "schema_version_" + name). Several services may therefore share one
// database, as in the all-in-one binary; they share its outbox.
//
// fsys holds tern migrations — files named 001_create_users.sql,
// 002_add_index.sql, ... with an optional "---- create above / drop below ----"
// separating the (never run) down step — either at its root or in a
// directory named "migrations", so both of these work:
//
//	//go:embed migrations/*.sql
//	var migrations embed.FS
//	err := iampg.Migrate(ctx, pool, migrations, "users")
//
// Each file runs in its own transaction and is text/template-expanded by
// tern, so a literal "{{" must be escaped. name is 1–40 lowercase letters,
// digits and '_', starting with a letter, and not "iampg" (CodeInvalid
// otherwise).
//
// Migrate holds a PostgreSQL advisory lock while it runs, so processes
// starting at once wait for each other and the second finds nothing to do.
// A database already migrated beyond the files in fsys (an older binary
// during a rolling upgrade) is left as it is; migrations must therefore be
// backward compatible. Errors: unavailable when the database cannot be
// reached or ctx ends, internal when a migration fails.
func Migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, name string) error {
	const op = "iampg.Migrate"
	if !namePattern.MatchString(name) || name == "iampg" {
		return &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "name",
			Message: "migration name must be 1 to 40 lowercase letters, digits or '_', starting with a letter, and not \"iampg\""}
	}
	if fsys == nil {
		return &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "fsys", Message: "no migrations given"}
	}
	return withMigrateLock(ctx, pool, op, func(conn *pgx.Conn) error {
		if err := migrateShared(ctx, conn); err != nil {
			return migrateError(op, SharedVersionTable, err)
		}
		table := "schema_version_" + name
		if err := migrateTable(ctx, conn, migrationDir(fsys), table); err != nil {
			return migrateError(op, table, err)
		}
		return nil
	})
}

// MigrateShared creates or updates only the tables this package owns
// (outbox, processed_events), for a process that uses the outbox or
// HandleOnce but has no migrations of its own. Migrate already includes it.
func MigrateShared(ctx context.Context, pool *pgxpool.Pool) error {
	const op = "iampg.MigrateShared"
	return withMigrateLock(ctx, pool, op, func(conn *pgx.Conn) error {
		return migrateError(op, SharedVersionTable, migrateShared(ctx, conn))
	})
}

// withMigrateLock runs fn on one connection holding the migration lock.
func withMigrateLock(ctx context.Context, pool *pgxpool.Pool, op string, fn func(*pgx.Conn) error) error {
	c, err := pool.Acquire(ctx)
	if err != nil {
		return MapError(op, err)
	}
	defer c.Release()
	if _, err := c.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return MapError(op, err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		if _, err := c.Exec(uctx, "SELECT pg_advisory_unlock($1)", migrateLockKey); err != nil {
			// Closing the session releases the lock; the pool drops the
			// closed connection on Release.
			_ = c.Conn().Close(uctx)
		}
	}()
	return fn(c.Conn())
}

// migrateTable applies the migrations in fsys tracked by versionTable.
func migrateTable(ctx context.Context, conn *pgx.Conn, fsys fs.FS, versionTable string) error {
	m, err := migrate.NewMigrator(ctx, conn, versionTable)
	if err != nil {
		return err
	}
	if err := m.LoadMigrations(fsys); err != nil {
		return err
	}
	current, err := m.GetCurrentVersion(ctx)
	if err != nil {
		return err
	}
	if int(current) >= len(m.Migrations) {
		return nil // up to date, or migrated by a newer binary
	}
	return m.Migrate(ctx)
}

// migrateError maps a migration failure: unavailable stays unavailable,
// anything else is internal (a broken migration is a bug, not bad input).
func migrateError(op, versionTable string, err error) error {
	if err == nil {
		return nil
	}
	mapped := MapError(op, err)
	if iam.ErrorCode(mapped) == iam.CodeUnavailable {
		return mapped
	}
	msg := "database migration failed (" + versionTable + ")"
	var none migrate.NoMigrationsFoundError
	if errors.As(err, &none) {
		msg = "no migration files found (" + versionTable + ")"
	}
	return &iam.Error{Code: iam.CodeInternal, Op: op, Message: msg, Err: err}
}

// migrateShared applies this package's own migrations.
func migrateShared(ctx context.Context, conn *pgx.Conn) error {
	shared, err := fs.Sub(sharedMigrations, "migrations")
	if err != nil {
		return err
	}
	return migrateTable(ctx, conn, shared, SharedVersionTable)
}

// migrationDir returns fsys, or its "migrations" directory when the
// migration files are there rather than at the root.
func migrationDir(fsys fs.FS) fs.FS {
	if root, _ := fs.Glob(fsys, "*.sql"); len(root) > 0 {
		return fsys
	}
	if st, err := fs.Stat(fsys, "migrations"); err == nil && st.IsDir() {
		if sub, err := fs.Sub(fsys, "migrations"); err == nil {
			return sub
		}
	}
	return fsys
}
