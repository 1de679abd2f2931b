package clientspg_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientspg"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// An event the clients consumer handled under its former name,
// "client-service", counts as handled under clients.Consumer once the
// database is migrated: a redelivery does not apply it again.
func TestEventsHandledUnderTheFormerConsumerNameStayHandled(t *testing.T) {
	ctx := context.Background()
	pool := iamtest.Postgres(t)
	if err := iampg.MigrateShared(ctx, pool); err != nil {
		t.Fatal(err)
	}
	created, err := iam.NewEvent("/opengate/realms", iam.TopicRealmCreated, "acme", "acme", map[string]string{"name": "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO processed_events (consumer, event_id) VALUES ('client-service', $1)`, created.ID); err != nil {
		t.Fatal(err)
	}
	if err := clientspg.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	svc := clients.New(newStore(t, pool, newSealer(t)))
	if err := svc.HandleEvent(ctx, created); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GetByClientID(ctx, "acme", "admin-cli"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("the redelivered realm.created was applied again (admin-cli: %v)", err)
	}
}
