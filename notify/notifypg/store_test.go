package notifypg_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/notify/notifypg"
	"github.com/opengate-iam/opengate/notify/notifytest"
)

func TestStore(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) notifytest.Harness {
		return notifytest.Harness{Store: notifypg.New(migrated(t)), OnceIsAtomic: true}
	})
}

// migrated returns a pool on a fresh, migrated database.
func migrated(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool := iamtest.Postgres(t)
	if err := notifypg.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

func TestService(t *testing.T) {
	notifytest.RunService(t, func(t *testing.T) notifytest.ServiceHarness {
		pool := migrated(t)
		return notifytest.ServiceHarness{Store: notifypg.New(pool), Dump: func(t *testing.T) string {
			var dump string
			err := pool.QueryRow(context.Background(), `SELECT
				coalesce((SELECT string_agg(row_to_json(d)::text, E'\n') FROM deliveries d), '') ||
				coalesce((SELECT string_agg(row_to_json(q)::text, E'\n') FROM delivery_queue q), '') ||
				coalesce((SELECT string_agg(row_to_json(f)::text, E'\n') FROM login_failures f), '') ||
				coalesce((SELECT string_agg(row_to_json(p)::text, E'\n') FROM processed_events p), '')`).Scan(&dump)
			if err != nil {
				t.Fatal(err)
			}
			return dump
		}}
	})
}
