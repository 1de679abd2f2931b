package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
)

// copyUsers writes the search realm's n users straight into the users
// service's table with COPY, as the rows userspg's CreateUser writes
// (email_key is the email: the realm refuses duplicate emails), then
// VACUUM ANALYZE as autovacuum would after a bulk load. Only the users
// table: no password credentials, no user.created events (so no default
// role mapping in rbac) — what a user search reads and nothing else.
func copyUsers(ctx context.Context, cfg config, realm string, n int, stderr io.Writer) error {
	u, err := url.Parse(cfg.postgres)
	if err != nil {
		return fmt.Errorf("-postgres-url: %w", err)
	}
	u.Path = "/" + cfg.dbPrefix + "users"
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return fmt.Errorf("users database: %w", err)
	}
	defer conn.Close(ctx)
	var done atomic.Int64
	stop := progress(ctx, cfg.progress, stderr, realm+" users (COPY)", int64(n), &done)
	defer stop()
	now := time.Now().UTC()
	cols := []string{"realm_name", "id", "username", "email", "email_key", "email_verified", "first_name", "last_name",
		"enabled", "attributes", "required_actions", "created_at", "updated_at"}
	const chunk = 50_000
	for from := 0; from < n; from += chunk {
		rows := make([][]any, 0, chunk)
		for i := from; i < min(from+chunk, n); i++ {
			rep := searchUser(i, nil)
			attrs, err := json.Marshal(rep["attributes"])
			if err != nil {
				return err
			}
			email := rep["email"].(string)
			rows = append(rows, []any{realm, iam.NewID(), strings.ToLower(rep["username"].(string)), email, email,
				rep["emailVerified"], rep["firstName"], rep["lastName"], rep["enabled"], string(attrs), []string{}, now, now})
		}
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{"users"}, cols, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("COPY users %d…: %w", from, err)
		}
		done.Add(int64(len(rows)))
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE users"); err != nil {
		return fmt.Errorf("VACUUM ANALYZE users: %w", err)
	}
	return nil
}
