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
