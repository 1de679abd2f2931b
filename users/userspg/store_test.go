package userspg_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userspg"
	"github.com/opengate-iam/opengate/users/userstest"
)

// newStore returns a Store on a fresh, migrated database.
func newStore(t *testing.T) *userspg.Store {
	t.Helper()
	pool := iamtest.Postgres(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := userspg.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return userspg.New(pool)
}

func TestConformance(t *testing.T) {
	userstest.Run(t, func(t *testing.T) users.Store { return newStore(t) })
}
