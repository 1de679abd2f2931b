package iampg_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// sqlFiles builds a migration file system.
func sqlFiles(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(body)}
	}
	return fsys
}

var alphaV1 = map[string]string{
	"001_create_alpha.sql": `CREATE TABLE alpha_items (id int PRIMARY KEY);
---- create above / drop below ----
DROP TABLE alpha_items;`,
}

var alphaV2 = map[string]string{
	"001_create_alpha.sql":   alphaV1["001_create_alpha.sql"],
	"002_add_alpha_name.sql": `ALTER TABLE alpha_items ADD COLUMN name text;`,
}

var betaV1 = map[string]string{
	"001_create_beta.sql": `CREATE TABLE beta_items (id int PRIMARY KEY);`,
}

func version(t testing.TB, pool *pgxpool.Pool, table string) int {
	t.Helper()
	return queryInt(t, pool, "SELECT version FROM "+table)
}

func tableExists(t testing.TB, pool *pgxpool.Pool, name string) bool {
	t.Helper()
	return queryInt(t, pool, "SELECT count(*) FROM pg_tables WHERE tablename = $1", name) == 1
}

func TestMigrate(t *testing.T) {
	ctx := context.Background()

	t.Run("AppliesSharedTablesThenTheServices", func(t *testing.T) {
		pool := iamtest.Postgres(t)
		if err := iampg.Migrate(ctx, pool, sqlFiles(alphaV2), "alpha"); err != nil {
			t.Fatal(err)
		}
		for _, table := range []string{"outbox", "processed_events", "sealing_key_check", "alpha_items"} {
			if !tableExists(t, pool, table) {
				t.Errorf("table %s missing", table)
			}
		}
		if v, want := version(t, pool, iampg.SharedVersionTable), sharedMigrations(t); v != want {
			t.Errorf("shared version = %d, want %d", v, want)
		}
		if v := version(t, pool, "schema_version_alpha"); v != 2 {
			t.Errorf("alpha version = %d, want 2", v)
		}
		// The down step was not run: the column added by 002 is there.
		if _, err := pool.Exec(ctx, "INSERT INTO alpha_items (id, name) VALUES (1, 'a')"); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ReRunIsIdempotentAndAppliesOnlyNewFiles", func(t *testing.T) {
		pool := iamtest.Postgres(t)
		if err := iampg.Migrate(ctx, pool, sqlFiles(alphaV1), "alpha"); err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Exec(ctx, "INSERT INTO alpha_items VALUES (1)"); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := iampg.Migrate(ctx, pool, sqlFiles(alphaV1), "alpha"); err != nil {
				t.Fatalf("re-run: %v", err)
			}
		}
		if err := iampg.Migrate(ctx, pool, sqlFiles(alphaV2), "alpha"); err != nil {
			t.Fatalf("upgrade: %v", err)
		}
		if v := version(t, pool, "schema_version_alpha"); v != 2 {
			t.Fatalf("version = %d, want 2", v)
		}
		if n := queryInt(t, pool, "SELECT count(*) FROM alpha_items"); n != 1 {
			t.Fatalf("re-running migrations lost data: %d rows", n)
		}
	})

	t.Run("ConcurrentCallsAllSucceed", func(t *testing.T) {
		url := iamtest.PostgresURL(t)
		const processes = 4
		errs := make([]error, processes)
		var wg sync.WaitGroup
		for i := range processes {
			pool, err := pgxpool.New(ctx, url) // one pool per "process"
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = iampg.Migrate(ctx, pool, sqlFiles(alphaV2), "alpha")
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("process %d: %v", i, err)
			}
		}
		pool, err := pgxpool.New(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		if v := version(t, pool, "schema_version_alpha"); v != 2 {
			t.Fatalf("version = %d, want 2", v)
		}
	})

	t.Run("ServicesSharingADatabaseHaveSeparateVersionTables", func(t *testing.T) {
		pool := iamtest.Postgres(t)
		if err := iampg.Migrate(ctx, pool, sqlFiles(alphaV2), "alpha"); err != nil {
			t.Fatal(err)
		}
		if err := iampg.Migrate(ctx, pool, sqlFiles(betaV1), "beta"); err != nil {
			t.Fatal(err)
		}
		if v := version(t, pool, "schema_version_alpha"); v != 2 {
			t.Errorf("alpha version = %d, want 2", v)
		}
		if v := version(t, pool, "schema_version_beta"); v != 1 {
			t.Errorf("beta version = %d, want 1", v)
		}
		if v, want := version(t, pool, iampg.SharedVersionTable), sharedMigrations(t); v != want {
			t.Errorf("shared version = %d, want %d", v, want)
		}
		if !tableExists(t, pool, "alpha_items") || !tableExists(t, pool, "beta_items") {
			t.Error("a service's tables are missing")
		}
	})

	t.Run("FindsFilesInAMigrationsDirectory", func(t *testing.T) {
		pool := iamtest.Postgres(t)
		fsys := sqlFiles(map[string]string{"migrations/001_create_gamma.sql": "CREATE TABLE gamma (id int)"})
		if err := iampg.Migrate(ctx, pool, fsys, "gamma"); err != nil {
			t.Fatal(err)
		}
		if !tableExists(t, pool, "gamma") {
			t.Fatal("migration in migrations/ not applied")
		}
	})

	t.Run("FailingMigrationIsInternalAndKeepsEarlierSteps", func(t *testing.T) {
		pool := iamtest.Postgres(t)
		fsys := sqlFiles(map[string]string{
			"001_create_delta.sql": "CREATE TABLE delta (id int)",
			"002_broken.sql":       "CREATE TABLE delta_two (id int); SELEKT 1;",
		})
		err := iampg.Migrate(ctx, pool, fsys, "delta")
		if !errors.Is(err, iam.ErrInternal) {
			t.Fatalf("err = %v, want internal", err)
		}
		if v := version(t, pool, "schema_version_delta"); v != 1 {
			t.Errorf("version = %d, want 1", v)
		}
		if tableExists(t, pool, "delta_two") {
			t.Error("the failed migration was partly applied")
		}
	})

	t.Run("NewerDatabaseIsLeftAlone", func(t *testing.T) {
		pool := iamtest.Postgres(t)
		if err := iampg.Migrate(ctx, pool, sqlFiles(alphaV2), "alpha"); err != nil {
			t.Fatal(err)
		}
		if err := iampg.Migrate(ctx, pool, sqlFiles(alphaV1), "alpha"); err != nil {
			t.Fatalf("older binary: %v", err)
		}
		if v := version(t, pool, "schema_version_alpha"); v != 2 {
			t.Fatalf("version = %d, want 2", v)
		}
	})

	t.Run("EmptyFileSystemIsAnError", func(t *testing.T) {
		pool := iamtest.Postgres(t)
		err := iampg.Migrate(ctx, pool, fstest.MapFS{}, "empty")
		if !errors.Is(err, iam.ErrInternal) {
			t.Fatalf("err = %v, want internal", err)
		}
		var ie *iam.Error
		if !errors.As(err, &ie) || !strings.Contains(ie.Message, "no migration files") {
			t.Fatalf("err = %v, want it to say no migration files were found", err)
		}
	})

	t.Run("RejectsBadNames", func(t *testing.T) {
		pool := iamtest.Postgres(t)
		for _, name := range []string{"", "Users", "iampg", "1users", "users; DROP TABLE outbox", "a-b"} {
			err := iampg.Migrate(ctx, pool, sqlFiles(alphaV1), name)
			if !errors.Is(err, iam.ErrInvalid) {
				t.Errorf("Migrate(%q) = %v, want invalid", name, err)
			}
		}
		if tableExists(t, pool, "alpha_items") {
			t.Error("migrations ran despite a bad name")
		}
	})

	t.Run("MigrateSharedAloneCreatesThePlumbing", func(t *testing.T) {
		pool := iamtest.Postgres(t)
		for range 2 {
			if err := iampg.MigrateShared(ctx, pool); err != nil {
				t.Fatal(err)
			}
		}
		if !tableExists(t, pool, "outbox") || !tableExists(t, pool, "processed_events") {
			t.Fatal("shared tables missing")
		}
	})
}

// sharedMigrations counts the package's own migration files: the shared
// version once they are all applied.
func sharedMigrations(t *testing.T) int {
	t.Helper()
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no shared migrations found: %v", err)
	}
	return len(files)
}
