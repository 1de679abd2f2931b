package rbacpg_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/rbac/rbacpg"
	"github.com/opengate-iam/opengate/rbac/rbactest"
)

func TestStore(t *testing.T) {
	rbactest.Run(t, func(t *testing.T) rbactest.Harness {
		pool := migrated(t)
		return rbactest.Harness{Store: rbacpg.New(pool), Events: iamtest.Outbox(pool)}
	})
}

// newStore returns a Store on a fresh, migrated database.
func newStore(t testing.TB) *rbacpg.Store {
	t.Helper()
	pool := iamtest.Postgres(t)
	if err := rbacpg.Migrate(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	return rbacpg.New(pool)
}
