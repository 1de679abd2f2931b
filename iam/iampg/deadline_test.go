package iampg_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// A database that stops answering fails each statement made with a call
// budget once the budget is spent — unavailable, not a hang — on the pool
// and inside a transaction, and the same DB works again once the database
// answers.
func TestCallTimeoutsFailFastAndRecover(t *testing.T) {
	pool, proxy := iamtest.StallablePostgres(t)
	db := iampg.WithCallTimeouts(pool)
	// Stalled calls get a short budget; the others the default one, so that
	// reconnecting on a loaded machine is not mistaken for a failure.
	short := iam.WithCallTimeout(context.Background(), 200*time.Millisecond)
	ctx := iam.WithCallTimeout(context.Background(), 5*time.Second)
	statements := []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"QueryRow", func(ctx context.Context) error {
			var n int
			return db.QueryRow(ctx, "SELECT 1").Scan(&n)
		}},
		{"Exec", func(ctx context.Context) error { _, err := db.Exec(ctx, "SELECT 1"); return err }},
		{"Query", func(ctx context.Context) error {
			rows, err := db.Query(ctx, "SELECT generate_series(1, 3)")
			if err != nil {
				return err
			}
			_, err = pgx.CollectRows(rows, pgx.RowTo[int32])
			return err
		}},
		{"Transaction", func(ctx context.Context) error {
			return iampg.WithTx(ctx, db, func(tx pgx.Tx) error {
				_, err := tx.Exec(ctx, "SELECT 1")
				return err
			})
		}},
	}
	for _, st := range statements {
		if err := st.run(ctx); err != nil {
			t.Fatalf("%s before the stall: %v", st.name, err)
		}
	}
	proxy.Stall()
	for _, st := range statements {
		t.Run(st.name+"Unavailable", func(t *testing.T) {
			if code := iam.ErrorCode(iampg.MapError("test", st.run(short))); code != iam.CodeUnavailable {
				t.Fatalf("code = %q, want unavailable", code)
			}
		})
	}
	proxy.Resume()
	for _, st := range statements {
		t.Run(st.name+"Recovers", func(t *testing.T) {
			if err := st.run(ctx); err != nil {
				t.Fatalf("after the database answers again: %v", err)
			}
		})
	}
}

// deadlineDB records whether each call's context had a deadline.
type deadlineDB struct {
	calls []string // "<method> <had deadline>"
}

func (d *deadlineDB) record(ctx context.Context, method string) {
	_, ok := ctx.Deadline()
	d.calls = append(d.calls, fmt.Sprint(method, " ", ok))
}

func (d *deadlineDB) Begin(ctx context.Context) (pgx.Tx, error) {
	d.record(ctx, "Begin")
	return deadlineTx{d: d}, nil
}

func (d *deadlineDB) Exec(ctx context.Context, _ string, _ ...any) (pgconn.CommandTag, error) {
	d.record(ctx, "Exec")
	return pgconn.CommandTag{}, nil
}

func (d *deadlineDB) Query(ctx context.Context, _ string, _ ...any) (pgx.Rows, error) {
	d.record(ctx, "Query")
	return nil, errors.New("no rows here")
}

func (d *deadlineDB) QueryRow(ctx context.Context, _ string, _ ...any) pgx.Row {
	d.record(ctx, "QueryRow")
	return nil
}

// deadlineTx is a transaction of a deadlineDB (only what the test calls).
type deadlineTx struct {
	pgx.Tx
	d *deadlineDB
}

func (t deadlineTx) Exec(ctx context.Context, _ string, _ ...any) (pgconn.CommandTag, error) {
	t.d.record(ctx, "Tx.Exec")
	return pgconn.CommandTag{}, nil
}

func (t deadlineTx) Commit(ctx context.Context) error {
	t.d.record(ctx, "Tx.Commit")
	return nil
}

// Only a context with a budget gets a deadline: background work (relays,
// consumers) keeps its own.
func TestCallTimeoutsApplyOnlyWithABudget(t *testing.T) {
	for name, ctx := range map[string]context.Context{
		"true":  iam.WithCallTimeout(context.Background(), time.Minute),
		"false": context.Background(),
	} {
		t.Run("Deadline"+name, func(t *testing.T) {
			fake := &deadlineDB{}
			db := iampg.WithCallTimeouts(fake)
			_, _ = db.Exec(ctx, "x")
			_, _ = db.Query(ctx, "x")
			_ = db.QueryRow(ctx, "x")
			tx, _ := db.Begin(ctx)
			_, _ = tx.Exec(ctx, "x")
			_ = tx.Commit(ctx)
			want := []string{"Exec " + name, "Query " + name, "QueryRow " + name, "Begin " + name,
				"Tx.Exec " + name, "Tx.Commit " + name}
			if !slices.Equal(fake.calls, want) {
				t.Fatalf("calls = %v, want %v", fake.calls, want)
			}
		})
	}
}
