package iamtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PostgresURL returns the URL of a fresh, empty database that is dropped when
// t ends. Tests that need a pool use Postgres; PostgresURL is for code under
// test that opens its own connections (binaries, e2e).
func PostgresURL(t testing.TB) string {
	t.Helper()
	admin := adminURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("iamtest: connect to %s: %v", EnvPostgresURL, err)
	}
	defer conn.Close(ctx)
	name := "opengate_test_" + randomHex(8)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("iamtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("iamtest: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("iamtest: drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("iamtest: parse %s: %v", EnvPostgresURL, err)
	}
	u.Path = "/" + name
	return u.String()
}

// Postgres returns a pool on a fresh, empty database that is dropped (and the
// pool closed) when t ends, so tests can run in parallel.
func Postgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dsn := PostgresURL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatalf("iamtest: open pool: %v", err)
	}
	t.Cleanup(pool.Close) // runs before the database is dropped (LIFO)
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("iamtest: ping: %v", err)
	}
	return pool
}

// PostgresCounting is Postgres with a count of the statements the pool
// sends, Begin, Commit and savepoints included: each is a round trip to
// the server (a pipelined batch counts once per statement). Tests use it
// to pin how many round trips a hot path costs.
func PostgresCounting(t testing.TB) (*pgxpool.Pool, *atomic.Int64) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(PostgresURL(t))
	if err != nil {
		t.Fatalf("iamtest: parse pool config: %v", err)
	}
	counter := &statementCounter{}
	cfg.ConnConfig.Tracer = counter
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("iamtest: open pool: %v", err)
	}
	t.Cleanup(pool.Close) // runs before the database is dropped (LIFO)
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("iamtest: ping: %v", err)
	}
	counter.n.Store(0)
	return pool, &counter.n
}

// statementCounter is a pgx.QueryTracer counting statements.
type statementCounter struct{ n atomic.Int64 }

func (c *statementCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (c *statementCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// adminURL is the server-level URL from the environment or a container.
// PostgresServer returns the URL of the test PostgreSQL server itself (its
// postgres database), for code that creates databases of its own, such as
// opengate.OpenDatabases; the caller drops what it creates (DropDatabases).
// Like Postgres, it skips or fails the test when no server is available.
func PostgresServer(t testing.TB) string {
	t.Helper()
	return adminURL(t)
}

// DropDatabases drops, when the test ends, every database whose name starts
// with prefix on the server at serverURL, disconnecting their sessions.
func DropDatabases(t testing.TB, serverURL, prefix string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, serverURL)
		if err != nil {
			t.Logf("iamtest: drop databases %s*: %v", prefix, err)
			return
		}
		defer conn.Close(ctx)
		rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
		if err != nil {
			t.Logf("iamtest: drop databases %s*: %v", prefix, err)
			return
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Logf("iamtest: drop databases %s*: %v", prefix, err)
			return
		}
		for _, n := range names {
			if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
				t.Logf("iamtest: drop database %s: %v", n, err)
			}
		}
	})
}

func adminURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvPostgresURL); u != "" {
		return u
	}
	u, err := docker.start("postgres", "16-alpine",
		[]string{"POSTGRES_HOST_AUTH_METHOD=trust"}, "5432/tcp",
		func(hp string) string { return "postgres://postgres@" + hp + "/postgres?sslmode=disable" },
		func(u string) error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := pgx.Connect(ctx, u)
			if err != nil {
				return err
			}
			return c.Close(ctx)
		})
	if err != nil {
		unavailable(t, EnvPostgresURL, err)
	}
	return u
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
