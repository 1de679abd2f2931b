package boot

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam/iampg"
)

// OpenPostgres opens a pool on the binary's database, DatabasePrefix +
// Binary.Database ("opengate_rbac") on the PostgreSQL server of
// OPENGATE_POSTGRES_URL, creating it if it does not exist, and applies
// migrate to it (every *pg package's Migrate has this signature).
// OPENGATE_POSTGRES_URL means what it means for the all-in-one: a server
// URL whose database, if any, is only where the binary connects to create
// its own — never where its tables go. The caller closes the pool; on
// error it is already closed. Errors name the setting and the database.
func (c Config) OpenPostgres(ctx context.Context, migrate func(context.Context, *pgxpool.Pool) error) (*pgxpool.Pool, error) {
	name := c.DatabasePrefix + c.database
	pool, err := iampg.OpenDatabase(ctx, c.PostgresURL, name)
	if err != nil {
		return nil, fmt.Errorf("OPENGATE_POSTGRES_URL: database %s: %w", name, err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate the database %s: %w", name, err)
	}
	return pool, nil
}
