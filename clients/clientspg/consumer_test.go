package clientspg_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientspg"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// TestRealmCreatedInABatchIsOneStatement pins the consumer's hot path:
// inside a batch (iampg.Batcher, as Server.Run consumes), a realm.created
// costs one statement for all default clients — each inserted unless its
// clientId exists, its client.created written only if it was — and a
// realm that has its default clients gets no other, nor an event.
func TestRealmCreatedInABatchIsOneStatement(t *testing.T) {
	ctx := context.Background()
	pool, statements := iamtest.PostgresCounting(t)
	if err := clientspg.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	svc := newService(t, pool)
	if err := svc.EnsureDefaults(ctx, "existing"); err != nil {
		t.Fatal(err)
	}
	before := len(iamtest.Outbox(pool)(t))
	var events []iam.Event
	var ids []string
	for i := range 10 {
		realm := iam.Realm(fmt.Sprint("realm-", i))
		if i == 0 {
			realm = "existing"
		}
		e, err := iam.NewEvent("/test", iam.TopicRealmCreated, realm, string(realm), map[string]any{"name": realm})
		if err != nil {
			t.Fatal(err)
		}
		events, ids = append(events, e), append(ids, e.ID)
	}
	bctx, batch, err := iampg.NewBatcher().Add(clients.Consumer, pool).Begin(ctx, clients.Consumer, ids)
	if err != nil {
		t.Fatal(err)
	}
	start := statements.Load()
	for _, e := range events {
		if err := svc.HandleEvent(bctx, e); err != nil {
			t.Fatal(err)
		}
	}
	spent := statements.Load() - start
	if err := batch.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}

	defaults, err := svc.List(ctx, "existing", clients.Filter{})
	if err != nil || len(defaults) == 0 {
		t.Fatalf("default clients = %v, %v", defaults, err)
	}
	if want := int64(len(events)); spent != want {
		t.Errorf("%d realm.created cost %d statements in a batch, want one each (%d)", len(events), spent, want)
	}
	for _, e := range events {
		list, err := svc.List(ctx, e.Realm, clients.Filter{})
		if err != nil || len(list) != len(defaults) {
			t.Errorf("clients of %s = %v, %v, want the %d defaults", e.Realm, list, err, len(defaults))
		}
	}
	written := iamtest.Outbox(pool)(t)[before:]
	if want := (len(events) - 1) * len(defaults); len(written) != want {
		t.Errorf("%d events written by the batch, want one client.created per new client (%d)", len(written), want)
	}
	for _, e := range written {
		if e.Type != iam.TopicClientCreated || e.Realm == "existing" {
			t.Errorf("written: %s of %s", e.Type, e.Realm)
		}
	}
}
