package userspg

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opengate-iam/opengate/users/userspg/internal/db"
)

// customPlans runs every query through PostgreSQL's unnamed statement
// (pgx.QueryExecModeCacheDescribe) instead of a named prepared statement,
// so that the server plans each execution with its values (a custom plan)
// and never switches to a generic plan.
//
// The search statements need it: each optional filter is written "the
// value is empty OR the column matches it", and only with the values
// known can the planner drop the unused ones and choose between the realm's trigram
// indexes, the username index and a sort of the matches. A named statement
// (pgx's default, QueryExecModeCacheStatement) gets a generic plan after
// five executions on a connection when the planner estimates it no dearer
// than the custom ones; for the search that plan is a scan of every user of
// every realm, seconds on a million users. The exec mode is per statement,
// not a setting of the caller's pool (plan_cache_mode would cost every
// other statement of the pool its cached plan): the statement's
// description is still cached per connection, so it is one round trip, as
// before, plus the planning of each execution.
type customPlans struct{ db db.DBTX }

func (c customPlans) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return c.db.Exec(ctx, sql, withMode(args)...)
}

func (c customPlans) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.db.Query(ctx, sql, withMode(args)...)
}

func (c customPlans) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return c.db.QueryRow(ctx, sql, withMode(args)...)
}

// withMode puts the exec mode first, where pgx reads it.
func withMode(args []any) []any {
	return append([]any{pgx.QueryExecModeCacheDescribe}, args...)
}
