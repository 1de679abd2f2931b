package sqlcheck_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/opengate-iam/opengate/internal/sqlcheck"
)

// moduleRoot walks up from the test's directory to go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// TestEveryQueryIsRealmScoped is the repository-wide check: every query of
// every service against a realm-scoped table has realm_name in its
// predicate, and every table is realm-scoped or declared global.
func TestEveryQueryIsRealmScoped(t *testing.T) {
	res, err := sqlcheck.Check(os.DirFS(moduleRoot(t)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Problems {
		t.Error(p)
	}
	// The check must have seen the queries it exists for.
	if res.QueryFiles < 2 || res.Queries < 10 || !slices.Contains(res.RealmTables, "clients") {
		t.Fatalf("checked %d files, %d queries, realm tables %v: the walk found too little", res.QueryFiles, res.Queries, res.RealmTables)
	}
	t.Logf("checked %d queries in %d files; realm-scoped tables: %v", res.Queries, res.QueryFiles, res.RealmTables)
}

const migration = `
-- sqlcheck:global countries
CREATE TABLE things (
	realm_name text NOT NULL,
	id         text NOT NULL,
	owner      text NOT NULL DEFAULT '', -- realm_name in a comment does not count
	PRIMARY KEY (realm_name, id)
);
CREATE TABLE parts (realm_name text, id text, thing_id text);
CREATE TABLE countries (code text PRIMARY KEY);
CREATE TABLE realms (name text PRIMARY KEY);
CREATE TABLE legacy (id text);
ALTER TABLE legacy ADD COLUMN realm_name text;
CREATE VIEW thing_view AS SELECT t.realm_name, t.id FROM things t;

---- create above / drop below ----

CREATE TABLE dropped_only (id text);
`

func check(t *testing.T, queries string) []sqlcheck.Problem {
	t.Helper()
	res, err := sqlcheck.Check(fstest.MapFS{
		"svc/svcpg/migrations/001_init.sql": {Data: []byte(migration)},
		"svc/svcpg/queries/q.sql":           {Data: []byte(queries)},
		"svc/testdata/queries/bad.sql":      {Data: []byte("SELECT * FROM things;")},
		".hidden/queries/bad.sql":           {Data: []byte("SELECT * FROM things;")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return res.Problems
}

func TestCheckAcceptsRealmScopedQueries(t *testing.T) {
	queries := []string{
		"SELECT * FROM things WHERE realm_name = @realm_name AND id = @id",
		"SELECT * FROM things WHERE id = $2 AND realm_name = $1",
		"DELETE FROM things WHERE realm_name = $1",
		"UPDATE things SET owner = $3 WHERE realm_name = $1 AND id = $2",
		"INSERT INTO things (realm_name, id) VALUES ($1, $2)",
		"INSERT INTO things (realm_name, id) VALUES ($1, $2) ON CONFLICT (realm_name, id) DO NOTHING",
		"SELECT t.id FROM things t JOIN parts p ON p.realm_name = t.realm_name AND p.thing_id = t.id WHERE t.id = $1",
		"SELECT * FROM thing_view WHERE realm_name = $1",
		"SELECT * FROM legacy WHERE realm_name = $1",
		"INSERT INTO parts (realm_name, id, thing_id) SELECT @realm_name, @id, unnest(@ids::text[]) ON CONFLICT DO NOTHING",
		"INSERT INTO parts (realm_name, id, thing_id) SELECT realm_name, id, id FROM things WHERE realm_name = $1",
		"SELECT * FROM countries",
		"SELECT * FROM realms ORDER BY name",
		"DELETE FROM outbox WHERE sent_at IS NOT NULL",
		"SELECT 1",
		"SELECT extract(epoch FROM now())",
	}
	var src strings.Builder
	for i, q := range queries {
		src.WriteString("-- name: Q" + string(rune('a'+i)) + " :exec\n" + q + ";\n\n")
	}
	if problems := check(t, src.String()); len(problems) != 0 {
		t.Fatalf("problems: %v", problems)
	}
}

func TestCheckRejects(t *testing.T) {
	tests := []struct {
		name, query string
	}{
		{"SelectWithoutPredicate", "SELECT * FROM things"},
		{"SelectByIDOnly", "SELECT * FROM things WHERE id = $1"},
		{"RealmNameOnlyInSelectList", "SELECT realm_name, id FROM things WHERE id = $1"},
		{"RealmNameOnlyInAComment", "SELECT * FROM things WHERE id = $1 -- AND realm_name = $2"},
		{"RealmNameOnlyInABlockComment", "SELECT * FROM things /* realm_name */ WHERE id = $1"},
		{"RealmNameOnlyInAString", "SELECT * FROM things WHERE id = 'realm_name'"},
		{"DeleteEverything", "DELETE FROM things"},
		{"DeleteByID", "DELETE FROM things WHERE id = $1"},
		{"UpdateSettingRealmName", "UPDATE things SET realm_name = $1 WHERE id = $2"},
		{"InsertWithoutRealm", "INSERT INTO things (id) VALUES ($1)"},
		{"InsertWithoutColumnList", "INSERT INTO things VALUES ($1, $2)"},
		{"InsertSelectWithoutPredicate", "INSERT INTO parts (realm_name, id, thing_id) SELECT realm_name, id, id FROM things"},
		{"JoinedTableInCommaList", "SELECT * FROM countries c, things t WHERE c.code = t.id"},
		{"ViewWithoutPredicate", "SELECT * FROM thing_view"},
		{"AlteredTable", "SELECT * FROM legacy"},
		{"SchemaQualified", "SELECT * FROM public.things WHERE id = $1"},
		{"QuotedIdentifier", `SELECT * FROM "things" WHERE id = $1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := check(t, "-- name: Bad :many\n"+tt.query+";\n")
			if len(problems) != 1 || problems[0].Query != "Bad" || problems[0].File != "svc/svcpg/queries/q.sql" {
				t.Fatalf("problems = %v, want one for query Bad", problems)
			}
		})
	}
}

func TestCheckReportsUndeclaredTables(t *testing.T) {
	res, err := sqlcheck.Check(fstest.MapFS{
		"a/migrations/001.sql": {Data: []byte("CREATE TABLE settings (key text PRIMARY KEY, value text);")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0].Reason, "settings") ||
		!strings.Contains(res.Problems[0].Reason, "sqlcheck:global") {
		t.Fatalf("problems = %v", res.Problems)
	}
}

func TestCheckSplitsFilesWithoutNameMarkers(t *testing.T) {
	res, err := sqlcheck.Check(fstest.MapFS{
		"a/migrations/001.sql": {Data: []byte("CREATE TABLE things (realm_name text, id text);")},
		"a/queries/plain.sql":  {Data: []byte("SELECT * FROM things WHERE realm_name = $1;\nSELECT * FROM things;\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Queries != 2 || len(res.Problems) != 1 {
		t.Fatalf("queries %d, problems %v", res.Queries, res.Problems)
	}
}
