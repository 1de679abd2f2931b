package iampg

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// DB is what a store needs to run statements: a *pgxpool.Pool, a *pgx.Conn
// or a pgx.Tx all satisfy it, so one store method works both on its own and
// inside a caller's transaction (Begin on a pgx.Tx starts a savepoint).
type DB interface {
	Begin(ctx context.Context) (pgx.Tx, error)
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

var (
	_ DB = (*pgxpool.Pool)(nil)
	_ DB = (*pgx.Conn)(nil)
	_ DB = (pgx.Tx)(nil)
)

// rollbackTimeout bounds a rollback, which runs even after ctx has ended.
const rollbackTimeout = 5 * time.Second

// WithTx runs fn in a transaction begun on db. It commits when fn returns nil
// and rolls back when fn returns an error or panics (the panic continues
// after the rollback). On a pgx.Tx, the transaction is a savepoint of the
// outer one.
//
// Every error is passed through MapError with op "iampg.WithTx": fn's own
// *iam.Error is returned unchanged, a raw pgx error from fn, Begin or Commit
// gets its iam code (a failed Commit under serializable isolation is
// unavailable, i.e. retryable). The transaction is rolled back even if ctx has
// ended.
func WithTx(ctx context.Context, db DB, fn func(pgx.Tx) error) (err error) {
	const op = "iampg.WithTx"
	tx, err := db.Begin(ctx)
	if err != nil {
		return MapError(op, err)
	}
	done := false
	defer func() {
		if done {
			return
		}
		// fn panicked or returned an error: roll back, even if ctx has ended.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		_ = tx.Rollback(rctx)
	}()
	if err := fn(tx); err != nil {
		return MapError(op, err)
	}
	done = true
	if err := tx.Commit(ctx); err != nil {
		return MapError(op, err)
	}
	return nil
}
