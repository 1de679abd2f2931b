package iampg_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestMapError(t *testing.T) {
	ctx := context.Background()
	pool := iamtest.Postgres(t)
	if _, err := pool.Exec(ctx, `
		CREATE TABLE parents (id int PRIMARY KEY);
		CREATE TABLE things (
			id     int PRIMARY KEY,
			name   varchar(5) NOT NULL CONSTRAINT things_name_key UNIQUE,
			qty    int CONSTRAINT things_qty_check CHECK (qty >= 0),
			parent int CONSTRAINT things_parent_fkey REFERENCES parents (id),
			ref    uuid
		);
		INSERT INTO parents VALUES (1);
		INSERT INTO things (id, name, qty, parent) VALUES (1, 'taken', 0, 1), (2, 'other', 0, NULL);`); err != nil {
		t.Fatal(err)
	}
	exec := func(sql string, args ...any) func() error {
		return func() error {
			_, err := pool.Exec(ctx, sql, args...)
			return err
		}
	}

	tests := []struct {
		name    string
		run     func() error
		code    iam.Code
		message string // substring of the caller-safe message
		secret  string // must not appear in the message
	}{
		{
			name: "NoRowsIsNotFound",
			run: func() error {
				var id int
				return pool.QueryRow(ctx, "SELECT id FROM things WHERE id = 99").Scan(&id)
			},
			code: iam.CodeNotFound, message: "not found",
		},
		{
			name: "UniqueViolationIsConflictNamingTheConstraint",
			run:  exec("INSERT INTO things (id, name) VALUES (3, 'taken')"),
			code: iam.CodeConflict, message: "things_name_key", secret: "taken",
		},
		{
			name: "ForeignKeyToMissingRowIsNotFound",
			run:  exec("INSERT INTO things (id, name, parent) VALUES (3, 'x', 4242)"),
			code: iam.CodeNotFound, message: "things_parent_fkey", secret: "4242",
		},
		{
			name: "DeletingAReferencedRowIsConflict",
			run:  exec("DELETE FROM parents WHERE id = 1"),
			code: iam.CodeConflict, message: "still referenced",
		},
		{
			name: "CheckViolationIsInvalid",
			run:  exec("INSERT INTO things (id, name, qty) VALUES (3, 'x', -77)"),
			code: iam.CodeInvalid, message: "things_qty_check", secret: "-77",
		},
		{
			name: "NotNullViolationIsInvalid",
			run:  exec("INSERT INTO things (id, name) VALUES (3, NULL)"),
			code: iam.CodeInvalid, message: "missing required value (name)",
		},
		{
			name: "InvalidTextRepresentationIsInvalid",
			run:  exec("INSERT INTO things (id, name, ref) VALUES (3, 'x', $1::text::uuid)", "not-a-uuid-secret"),
			code: iam.CodeInvalid, message: "invalid value", secret: "not-a-uuid-secret",
		},
		{
			name: "StringTooLongIsInvalid",
			run:  exec("INSERT INTO things (id, name) VALUES (3, $1)", "much-too-long-secret"),
			code: iam.CodeInvalid, message: "invalid value", secret: "much-too-long-secret",
		},
		{
			name: "NulByteIsInvalid",
			run:  exec("INSERT INTO things (id, name) VALUES (3, $1)", "a\x00b"),
			code: iam.CodeInvalid, message: "invalid value",
		},
		{
			name: "SerializationFailureIsUnavailable",
			run:  func() error { return serializationFailure(ctx, pool) },
			code: iam.CodeUnavailable, message: "retry",
		},
		{
			name: "DeadlockIsUnavailable",
			run:  func() error { return deadlock(ctx, pool) },
			code: iam.CodeUnavailable, message: "retry",
		},
		{
			name: "LockNotAvailableIsUnavailable",
			run:  func() error { return lockNotAvailable(ctx, pool) },
			code: iam.CodeUnavailable,
		},
		{
			name: "StatementTimeoutIsUnavailable",
			run: func() error {
				return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 10"); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, "SELECT pg_sleep(5)")
					return err
				})
			},
			code: iam.CodeUnavailable,
		},
		{
			name: "CtxDeadlineIsUnavailable",
			run: func() error {
				dctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
				defer cancel()
				_, err := pool.Exec(dctx, "SELECT pg_sleep(5)")
				return err
			},
			code: iam.CodeUnavailable, message: "database unavailable",
		},
		{
			name: "CtxCanceledIsUnavailable",
			run: func() error {
				cctx, cancel := context.WithCancel(ctx)
				cancel()
				_, err := pool.Exec(cctx, "SELECT 1")
				return err
			},
			code: iam.CodeUnavailable,
		},
		{
			name: "ConnectionRefusedIsUnavailable",
			run: func() error {
				_, err := pgx.Connect(ctx, "postgres://postgres:hunter2@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5")
				return err
			},
			code: iam.CodeUnavailable, message: "database unavailable", secret: "hunter2",
		},
		{
			name: "ClosedPoolIsUnavailable",
			run: func() error {
				p, err := pgxpool.New(ctx, pool.Config().ConnString())
				if err != nil {
					return err
				}
				p.Close()
				_, err = p.Exec(ctx, "SELECT 1")
				return err
			},
			code: iam.CodeUnavailable,
		},
		{
			name: "TerminatedConnectionIsUnavailable",
			run:  func() error { return terminatedConnection(ctx, pool) },
			code: iam.CodeUnavailable,
		},
		{
			name: "SyntaxErrorIsInternal",
			run:  exec("SELEKT 1"),
			code: iam.CodeInternal, message: "internal error",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := tt.run()
			if raw == nil {
				t.Fatal("statement succeeded; want an error")
			}
			err := iampg.MapError("test.Op", raw)
			if got := iam.ErrorCode(err); got != tt.code {
				t.Fatalf("code = %q, want %q (raw error: %v)", got, tt.code, raw)
			}
			msg := iam.ErrorMessage(err)
			if !strings.Contains(msg, tt.message) {
				t.Errorf("message %q does not contain %q", msg, tt.message)
			}
			if tt.secret != "" && strings.Contains(msg, tt.secret) {
				t.Errorf("message %q leaks the value %q", msg, tt.secret)
			}
			if !errors.Is(err, raw) {
				t.Errorf("mapped error does not keep the cause")
			}
			var ie *iam.Error
			if errors.As(err, &ie) && ie.Op != "test.Op" {
				t.Errorf("op = %q, want test.Op", ie.Op)
			}
		})
	}

	t.Run("NilStaysNil", func(t *testing.T) {
		if err := iampg.MapError("op", nil); err != nil {
			t.Fatalf("MapError(nil) = %v", err)
		}
	})
	t.Run("IamErrorsPassThrough", func(t *testing.T) {
		orig := iam.Invalidf("email", "bad email")
		wrapped := fmt.Errorf("context: %w", orig)
		if err := iampg.MapError("op", orig); err != orig {
			t.Fatalf("MapError changed an *iam.Error: %v", err)
		}
		if err := iampg.MapError("op", wrapped); err != wrapped {
			t.Fatalf("MapError changed an error wrapping an *iam.Error: %v", err)
		}
	})
	t.Run("ConstraintNameSeesThroughMapError", func(t *testing.T) {
		err := iampg.MapError("op", exec("INSERT INTO things (id, name) VALUES (3, 'taken')")())
		if got := iampg.ConstraintName(err); got != "things_name_key" {
			t.Fatalf("ConstraintName = %q", got)
		}
		if got := iampg.SQLState(err); got != "23505" {
			t.Fatalf("SQLState = %q", got)
		}
		if iampg.ConstraintName(errors.New("plain")) != "" || iampg.SQLState(nil) != "" {
			t.Fatal("non-database errors must have no constraint or state")
		}
	})
}

// serializationFailure makes two serializable transactions collide and
// returns the loser's error.
func serializationFailure(ctx context.Context, pool *pgxpool.Pool) error {
	serializable := pgx.TxOptions{IsoLevel: pgx.Serializable}
	tx1, err := pool.BeginTx(ctx, serializable)
	if err != nil {
		return err
	}
	defer tx1.Rollback(ctx)
	tx2, err := pool.BeginTx(ctx, serializable)
	if err != nil {
		return err
	}
	defer tx2.Rollback(ctx)
	var n int
	for _, tx := range []pgx.Tx{tx1, tx2} {
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM things").Scan(&n); err != nil {
			return err
		}
	}
	if _, err := tx1.Exec(ctx, "INSERT INTO things (id, name) VALUES (101, 's1')"); err != nil {
		return err
	}
	if _, err := tx2.Exec(ctx, "INSERT INTO things (id, name) VALUES (102, 's2')"); err != nil {
		return err
	}
	if err := tx1.Commit(ctx); err != nil {
		return err
	}
	return tx2.Commit(ctx)
}

// deadlock makes two transactions wait for each other and returns the
// error of the one PostgreSQL aborts.
func deadlock(ctx context.Context, pool *pgxpool.Pool) error {
	tx1, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx1.Rollback(ctx)
	tx2, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx2.Rollback(ctx)
	for _, tx := range []pgx.Tx{tx1, tx2} {
		if _, err := tx.Exec(ctx, "SET LOCAL deadlock_timeout = '20ms'"); err != nil {
			return err
		}
	}
	if _, err := tx1.Exec(ctx, "UPDATE things SET qty = 1 WHERE id = 1"); err != nil {
		return err
	}
	if _, err := tx2.Exec(ctx, "UPDATE things SET qty = 1 WHERE id = 2"); err != nil {
		return err
	}
	errs := make(chan error, 2)
	go func() {
		_, err := tx1.Exec(ctx, "UPDATE things SET qty = 2 WHERE id = 2")
		if err != nil {
			_ = tx1.Rollback(ctx)
		}
		errs <- err
	}()
	go func() {
		_, err := tx2.Exec(ctx, "UPDATE things SET qty = 2 WHERE id = 1")
		if err != nil {
			_ = tx2.Rollback(ctx)
		}
		errs <- err
	}()
	first, second := <-errs, <-errs
	if first != nil {
		return first
	}
	return second
}

// lockNotAvailable asks for a row lock with NOWAIT while another
// transaction holds it.
func lockNotAvailable(ctx context.Context, pool *pgxpool.Pool) error {
	tx1, err := pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx1.Rollback(ctx)
	if _, err := tx1.Exec(ctx, "SELECT 1 FROM things WHERE id = 1 FOR UPDATE"); err != nil {
		return err
	}
	_, err = pool.Exec(ctx, "SELECT 1 FROM things WHERE id = 1 FOR UPDATE NOWAIT")
	return err
}

// terminatedConnection kills a connection's backend and uses it.
func terminatedConnection(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	var pid int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "SELECT 1")
	return err
}
