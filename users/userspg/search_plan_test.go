package userspg_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userspg"
)

// onePool is a migrated pool of a single connection, so that every
// statement of a test runs on the same server session.
func onePool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(iamtest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := userspg.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// A search is planned with its values on every execution: run more often
// than the five executions after which PostgreSQL may switch a prepared
// statement to its generic plan (a scan of every realm's users, seconds
// on a million users), it still left no named prepared statement on the
// connection that could hold one.
func TestSearchesAreNeverPreparedStatements(t *testing.T) {
	ctx := context.Background()
	pool := onePool(t)
	store := userspg.New(pool)
	for i := range 3 {
		u := users.User{ID: iam.NewID(), Realm: "acme", Username: fmt.Sprintf("jo.anderson%d", i),
			Email: fmt.Sprintf("jo%d@example.com", i), Enabled: true}
		if err := store.Create(ctx, u, users.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []users.Filter{{Search: "ander", SearchMode: users.MatchInfix}, {Username: "jo"},
		{Email: "example", Exact: false}, {Attributes: map[string]string{"dept": "eng"}}} {
		for range 8 {
			if _, err := store.List(ctx, "acme", f); err != nil {
				t.Fatal(err)
			}
			if _, err := store.Count(ctx, "acme", f); err != nil {
				t.Fatal(err)
			}
		}
	}
	rows, err := pool.Query(ctx, `SELECT statement, generic_plans FROM pg_prepared_statements`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var stmt string
		var generic int64
		if err := rows.Scan(&stmt, &generic); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stmt, "LIKE") {
			t.Errorf("a search is a named prepared statement (%d generic plans so far): %.120s", generic, stmt)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

// Each search index leads with the realm, so that a search reads only its
// realm's matches, not every realm's matching users before filtering them.
func TestSearchIndexesLeadWithTheRealm(t *testing.T) {
	pool := onePool(t)
	var defs []string
	rows, err := pool.Query(context.Background(),
		`SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'users'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var def string
		if err := rows.Scan(&def); err != nil {
			t.Fatal(err)
		}
		defs = append(defs, def)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"username gin_trgm_ops", "email gin_trgm_ops", "lower(first_name) gin_trgm_ops",
		"lower(last_name) gin_trgm_ops", "attributes jsonb_path_ops"} {
		t.Run(strings.Fields(key)[0], func(t *testing.T) {
			var realm, any bool
			for _, def := range defs {
				if strings.Contains(def, "USING gin ("+key) {
					any = true
				}
				if strings.Contains(def, "USING gin (realm_name, "+key+")") {
					realm = true
				}
			}
			if !realm || any {
				t.Errorf("want one GIN index on (realm_name, %s) and none without the realm, have:\n%s", key, strings.Join(defs, "\n"))
			}
		})
	}
}

// The search's walk is an index-only scan: the username index carries
// every column the walk filters on.
func TestUsernameIndexCoversTheWalk(t *testing.T) {
	pool := onePool(t)
	var def string
	if err := pool.QueryRow(context.Background(), `SELECT pg_get_indexdef('users_username_key'::regclass)`).Scan(&def); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(def, "(realm_name, username) INCLUDE (id, email, first_name, last_name, enabled, email_verified)") {
		t.Errorf("users_username_key does not cover the walk: %s", def)
	}
}
