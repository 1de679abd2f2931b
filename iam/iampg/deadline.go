package iampg

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opengate-iam/opengate/iam"
)

// WithCallTimeouts returns db with every statement bounded by the per-call
// budget of its context (iam.CallContext): on a request path (iamhttp's
// Deadlines middleware sets the budget) a database that does not answer
// fails the statement after the budget — unavailable, through MapError —
// instead of holding the request; pgx then closes the connection, and the
// pool opens a new one once the database answers again. A context without
// a budget (background work) is left as it is. Begin returns a transaction
// whose statements, commit and rollback are bounded the same way. Stores
// wrap the DB they are given with it.
func WithCallTimeouts(db DB) DB {
	if _, ok := db.(callTimeouts); ok {
		return db
	}
	return callTimeouts{db: db}
}

// callTimeouts is a DB bounding each call by the context's budget.
type callTimeouts struct{ db DB }

func (c callTimeouts) Begin(ctx context.Context) (pgx.Tx, error) {
	cctx, cancel := iam.CallContext(ctx)
	defer cancel()
	tx, err := c.db.Begin(cctx)
	if err != nil {
		return nil, err
	}
	return callTimeoutTx{Tx: tx}, nil
}

func (c callTimeouts) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return exec(ctx, c.db, sql, args...)
}

func (c callTimeouts) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return query(ctx, c.db, sql, args...)
}

func (c callTimeouts) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return queryRow(ctx, c.db, sql, args...)
}

// callTimeoutTx is a pgx.Tx whose statements, savepoints, commit and
// rollback are bounded by the context's budget; its other methods are the
// transaction's own.
type callTimeoutTx struct{ pgx.Tx }

func (t callTimeoutTx) Begin(ctx context.Context) (pgx.Tx, error) {
	cctx, cancel := iam.CallContext(ctx)
	defer cancel()
	tx, err := t.Tx.Begin(cctx)
	if err != nil {
		return nil, err
	}
	return callTimeoutTx{Tx: tx}, nil
}

func (t callTimeoutTx) Commit(ctx context.Context) error {
	cctx, cancel := iam.CallContext(ctx)
	defer cancel()
	return t.Tx.Commit(cctx)
}

func (t callTimeoutTx) Rollback(ctx context.Context) error {
	cctx, cancel := iam.CallContext(ctx)
	defer cancel()
	return t.Tx.Rollback(cctx)
}

func (t callTimeoutTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return exec(ctx, t.Tx, sql, args...)
}

func (t callTimeoutTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return query(ctx, t.Tx, sql, args...)
}

func (t callTimeoutTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return queryRow(ctx, t.Tx, sql, args...)
}

func exec(ctx context.Context, db DB, sql string, args ...any) (pgconn.CommandTag, error) {
	cctx, cancel := iam.CallContext(ctx)
	defer cancel()
	return db.Exec(cctx, sql, args...)
}

// query keeps the call's deadline until the rows are closed (Close, or Next
// returning false, which closes them).
func query(ctx context.Context, db DB, sql string, args ...any) (pgx.Rows, error) {
	cctx, cancel := iam.CallContext(ctx)
	rows, err := db.Query(cctx, sql, args...)
	if err != nil {
		cancel()
		return nil, err
	}
	return &cancelRows{Rows: rows, cancel: cancel}, nil
}

// queryRow keeps the call's deadline until the row is scanned.
func queryRow(ctx context.Context, db DB, sql string, args ...any) pgx.Row {
	cctx, cancel := iam.CallContext(ctx)
	return cancelRow{row: db.QueryRow(cctx, sql, args...), cancel: cancel}
}

// cancelRows releases the call's context when the rows are done.
type cancelRows struct {
	pgx.Rows
	cancel context.CancelFunc
}

func (r *cancelRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.cancel()
	return false
}

func (r *cancelRows) Close() {
	r.Rows.Close()
	r.cancel()
}

// cancelRow releases the call's context once scanned.
type cancelRow struct {
	row    pgx.Row
	cancel context.CancelFunc
}

func (r cancelRow) Scan(dest ...any) error {
	defer r.cancel()
	return r.row.Scan(dest...)
}
