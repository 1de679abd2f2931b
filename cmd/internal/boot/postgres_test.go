package boot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/cmd/internal/boottest"
)

// OPENGATE_POSTGRES_URL is a server URL in every binary: the binary's
// database ({prefix}{service}) is created if missing and migrated, and
// its tables never land in the database the URL names (postgres).
func TestOpenPostgresUsesTheServicesOwnDatabase(t *testing.T) {
	pg := boottest.NewPostgres(t, "rbac")
	cfg, err := boot.Parse(boot.Binary{Name: "rbac-service", Addr: ":0", Database: "rbac"}, nil,
		env(pg.Env(map[string]string{})), nil)
	if err != nil {
		t.Fatal(err)
	}
	var migratedInto string
	migrate := func(ctx context.Context, pool *pgxpool.Pool) error {
		if err := pool.QueryRow(ctx, "SELECT current_database()").Scan(&migratedInto); err != nil {
			return err
		}
		_, err := pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS boot_probe (id int)")
		return err
	}
	for i := range 2 { // created, then found
		pool, err := cfg.OpenPostgres(context.Background(), migrate)
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		pool.Close()
		if migratedInto != pg.Prefix+"rbac" {
			t.Fatalf("migrated into %q, want %q", migratedInto, pg.Prefix+"rbac")
		}
	}
	if n, err := boottest.Count(t, pg.URL, "SELECT count(*) FROM pg_tables WHERE tablename = 'boot_probe'"); err != nil || n != 0 {
		t.Fatalf("boot_probe in the server URL's database: %d, %v", n, err)
	}
	if n, err := boottest.Count(t, pg.DSN, "SELECT count(*) FROM pg_tables WHERE tablename = 'boot_probe'"); err != nil || n != 1 {
		t.Fatalf("boot_probe in %s: %d, %v", pg.DSN, n, err)
	}
}

func TestOpenPostgresErrorsNameTheSetting(t *testing.T) {
	cfg, err := boot.Parse(boot.Binary{Name: "rbac-service", Addr: ":0", Database: "rbac"}, nil,
		env(map[string]string{"OPENGATE_POSTGRES_URL": "mysql://db/x"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.OpenPostgres(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "OPENGATE_POSTGRES_URL") || !strings.Contains(err.Error(), "opengate_rbac") {
		t.Fatalf("err = %v", err)
	}
}
