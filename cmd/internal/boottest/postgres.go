package boottest

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// Postgres is where a test's binary keeps its database: the server of
// OPENGATE_TEST_POSTGRES_URL under a prefix of the test's own.
type Postgres struct {
	// URL is the server URL, for OPENGATE_POSTGRES_URL.
	URL string
	// Prefix is the test's OPENGATE_DATABASE_PREFIX.
	Prefix string
	// DSN is the URL of the binary's database, Prefix + database, for the
	// test to look into (Count).
	DSN string
}

// Env adds OPENGATE_POSTGRES_URL and OPENGATE_DATABASE_PREFIX to env and
// returns it.
func (p Postgres) Env(env map[string]string) map[string]string {
	if env == nil {
		env = map[string]string{}
	}
	env["OPENGATE_POSTGRES_URL"] = p.URL
	env["OPENGATE_DATABASE_PREFIX"] = p.Prefix
	return env
}

// NewPostgres returns a fresh prefix on the test server for a binary whose
// database is database ("rbac"); the database the binary creates is dropped
// when the test ends (after the binaries started later have stopped).
// Without OPENGATE_TEST_POSTGRES_URL the test is skipped, or fails under
// OPENGATE_TEST_REQUIRE=1.
func NewPostgres(t testing.TB, database string) Postgres {
	t.Helper()
	server := os.Getenv(iamtest.EnvPostgresURL)
	if server == "" {
		if os.Getenv(iamtest.EnvRequire) == "1" {
			t.Fatalf("%s is required", iamtest.EnvPostgresURL)
		}
		t.Skipf("set %s to run the binary on PostgreSQL", iamtest.EnvPostgresURL)
	}
	prefix := "ogtest_" + strings.ToLower(iamcrypto.RandomToken(6)) + "_"
	prefix = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '_' {
			return r
		}
		return 'x'
	}, prefix)
	u, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + prefix + database
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, server)
		if err != nil {
			t.Errorf("drop database %s%s: %v", prefix, database, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{prefix + database}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s%s: %v", prefix, database, err)
		}
	})
	return Postgres{URL: server, Prefix: prefix, DSN: u.String()}
}
