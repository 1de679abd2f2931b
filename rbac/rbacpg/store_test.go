package rbacpg_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacpg"
	"github.com/opengate-iam/opengate/rbac/rbactest"
)

func TestConformance(t *testing.T) {
	rbactest.Run(t, func(t *testing.T) rbac.Store { return newStore(t) })
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
