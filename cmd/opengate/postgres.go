package main

import (
	"context"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// openDatabase connects to database name on the server of serverURL, creating
// the database first if it does not exist. Each service gets its own database
// (opengate_users, ...), as in the microservice deployment.
func openDatabase(ctx context.Context, serverURL, name string) (*pgxpool.Pool, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return nil, fmt.Errorf("OPENGATE_POSTGRES_URL is not a URL")
	}
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return nil, fmt.Errorf("look up database %s: %w", name, err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			// Another replica may have created it meanwhile.
			if err2 := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err2 != nil || !exists {
				return nil, fmt.Errorf("create database %s: %w", name, err)
			}
		}
	}
	u.Path = "/" + name
	pool, err := pgxpool.New(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", name, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping database %s: %w", name, err)
	}
	return pool, nil
}
