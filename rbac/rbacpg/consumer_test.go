package rbacpg_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacpg"
	"github.com/opengate-iam/opengate/users"
)

// TestUserCreatedInABatchIsOneStatementPerEvent pins the consumer's hot
// path: inside a batch (iampg.Batcher, as Server.Run consumes), a
// user.created costs one statement — the default role looked up and
// mapped, role_mapping.changed written — and a user.created that overtook
// its realm.created makes the realm's defaults in the same batch, which
// commits everything.
func TestUserCreatedInABatchIsOneStatementPerEvent(t *testing.T) {
	ctx := context.Background()
	pool, statements := iamtest.PostgresCounting(t)
	if err := rbacpg.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	svc := rbac.New(rbacpg.New(pool))
	if err := svc.EnsureRealmDefaults(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	var events []iam.Event
	for i := range 10 {
		id := iam.NewID()
		e, err := iam.NewEvent("/test", iam.TopicUserCreated, "acme", id, users.UserData{ID: id, Username: fmt.Sprint("u", i)})
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	lateID := iam.NewID()
	late, err := iam.NewEvent("/test", iam.TopicUserCreated, "late", lateID, users.UserData{ID: lateID, Username: "first"})
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{late.ID}
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	bctx, batch, err := iampg.NewBatcher().Add(rbac.Consumer, pool).Begin(ctx, rbac.Consumer, ids)
	if err != nil {
		t.Fatal(err)
	}
	before := statements.Load()
	for _, e := range events {
		if err := svc.HandleEvent(bctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if got := statements.Load() - before; got != int64(len(events)) {
		t.Errorf("%d user.created cost %d statements in a batch, want one each", len(events), got)
	}
	if err := svc.HandleEvent(bctx, late); err != nil {
		t.Fatalf("user.created before its realm.created: %v", err)
	}
	if err := batch.Commit(ctx); err != nil {
		t.Fatalf("Commit: %v", err)
	}

	for _, e := range append(events, late) {
		roles, err := svc.UserRoles(ctx, e.Realm, e.Subject)
		if err != nil {
			t.Fatal(err)
		}
		if len(roles) != 1 || roles[0].Name != rbac.DefaultRoleName(e.Realm) {
			t.Errorf("roles of %s/%s = %v, want its realm's default role", e.Realm, e.Subject, roles)
		}
	}
	mapped := 0
	for _, topic := range outboxTopics(t, pool) {
		if topic == iam.TopicRoleMappingChanged {
			mapped++
		}
	}
	if mapped != len(events)+1 {
		t.Errorf("%d role_mapping.changed in the outbox, want one per user (%d)", mapped, len(events)+1)
	}
	if !slices.Contains(outboxTopics(t, pool), iam.TopicRoleCreated) {
		t.Error("the late realm's default roles recorded no role.created")
	}
}
