package iampg

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// OpenDatabase opens a pool on the database name of the PostgreSQL server
// of serverURL, creating the database first if it does not exist (which
// needs the CREATEDB privilege; another process creating it at the same
// moment is fine). The database serverURL names, if any, is only where it
// connects to look name up and create it: the pool is always on name, so a
// server URL ending in /postgres never puts a service's tables in
// postgres. The caller closes the pool.
func OpenDatabase(ctx context.Context, serverURL, name string) (*pgxpool.Pool, error) {
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("the PostgreSQL server URL is not a postgres:// URL")
	}
	if name == "" {
		return nil, errors.New("no database name")
	}
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look up the database: %w", err)
	}
	if !exists {
		_, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		var pgErr *pgconn.PgError
		if err != nil && !(errors.As(err, &pgErr) && pgErr.Code == "42P04") { // duplicate_database: another process won the race
			return nil, fmt.Errorf("create the database: %w", err)
		}
	}
	u.Path = "/" + name
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("open the database: %w", err)
	}
	return pool, nil
}
