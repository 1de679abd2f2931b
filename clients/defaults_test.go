package clients_test

import (
	"context"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

func TestEnsureDefaultsCreatesAdminCLIOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.svc.EnsureDefaults(ctx, iam.MasterRealm); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	list, _ := f.svc.List(ctx, iam.MasterRealm, clients.Filter{})
	if len(list) != 1 {
		t.Fatalf("%d clients in master", len(list))
	}
	c := list[0]
	if c.ClientID != clients.AdminCLI || !c.PublicClient || c.StandardFlowEnabled || !c.DirectAccessGrantsEnabled ||
		c.ServiceAccountsEnabled || !c.Enabled {
		t.Fatalf("admin-cli = %+v", c)
	}
	if _, err := f.svc.Authenticate(ctx, iam.MasterRealm, clients.AdminCLI, ""); err != nil {
		t.Fatalf("admin-cli is not public: %v", err)
	}
}

func event(t *testing.T, topic string, realm iam.Realm) iam.Event {
	t.Helper()
	e, err := iam.NewEvent(realms.Source, topic, realm, string(realm), realms.DeletedEvent{Name: realm})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestHandleEvent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	created := event(t, iam.TopicRealmCreated, "acme")
	for range 2 { // redelivered
		if err := f.svc.HandleEvent(ctx, created); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.GetByClientID(ctx, "acme", clients.AdminCLI); err != nil {
		t.Fatalf("realm.created did not create admin-cli: %v", err)
	}
	f.create(t, validClient(), "")
	other, err := f.svc.Create(ctx, "beta", validClient(), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Authenticate(ctx, "acme", clients.AdminCLI, ""); err != nil { // cached
		t.Fatal(err)
	}
	deleted := event(t, iam.TopicRealmDeleted, "acme")
	if err := f.svc.HandleEvent(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	if list, _ := f.svc.List(ctx, "acme", clients.Filter{}); len(list) != 0 {
		t.Fatalf("realm.deleted left %d clients", len(list))
	}
	if _, err := f.svc.Authenticate(ctx, "acme", clients.AdminCLI, ""); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("deleted realm's client still authenticates: %v", err)
	}
	if _, err := f.svc.Get(ctx, "beta", other.ID); err != nil {
		t.Fatalf("other realm touched: %v", err)
	}
	// The realm is recreated; a late duplicate of the old realm.deleted
	// must not delete the new realm's clients.
	if err := f.svc.HandleEvent(ctx, event(t, iam.TopicRealmCreated, "acme")); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.HandleEvent(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetByClientID(ctx, "acme", clients.AdminCLI); err != nil {
		t.Fatalf("duplicate realm.deleted took effect again: %v", err)
	}
	// Other topics are ignored; malformed events are invalid.
	if err := f.svc.HandleEvent(ctx, event(t, iam.TopicUserCreated, "acme")); err != nil {
		t.Fatal(err)
	}
	bad := event(t, iam.TopicRealmDeleted, "acme")
	bad.Realm = "Bad Realm"
	if err := f.svc.HandleEvent(ctx, bad); iam.ErrorCode(err) != iam.CodeInvalid {
		t.Fatalf("malformed event: %v", err)
	}
}
