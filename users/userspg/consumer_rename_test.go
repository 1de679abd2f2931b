package userspg_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userspg"
	"github.com/opengate-iam/opengate/users/userstest"
)

// A realm.deleted the users consumer handled under its former name,
// "users.realm-deleted", counts as handled under users.Consumer once the
// database is migrated: its late redelivery does not empty the realm
// re-created under the same name.
func TestEventsHandledUnderTheFormerConsumerNameStayHandled(t *testing.T) {
	ctx := context.Background()
	pool := iamtest.Postgres(t)
	if err := iampg.MigrateShared(ctx, pool); err != nil {
		t.Fatal(err)
	}
	deleted, err := iam.NewEvent("/opengate/realms", iam.TopicRealmDeleted, "acme", "acme", map[string]string{"name": "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO processed_events (consumer, event_id) VALUES ('users.realm-deleted', $1)`, deleted.ID); err != nil {
		t.Fatal(err)
	}
	if err := userspg.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	svc := users.New(userspg.New(pool), userstest.NewRealms(userstest.Realm("acme")), users.WithParams(userstest.FastParams))
	if _, err := svc.Create(ctx, "acme", users.User{Username: "after"}); err != nil {
		t.Fatal(err)
	}
	if err := svc.HandleEvent(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	if n, err := svc.Count(ctx, "acme", users.Filter{}); err != nil || n != 1 {
		t.Fatalf("the redelivered realm.deleted was applied again: %d users, %v", n, err)
	}
}
