package clients_test

import (
	"context"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

func TestEnsureDefaultsCreatesAdminCLIAndRealmManagementOnce(t *testing.T) {
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
	if len(list) != 2 {
		t.Fatalf("%d clients in master, want admin-cli and realm-management", len(list))
	}
	c, err := f.svc.GetByClientID(ctx, iam.MasterRealm, clients.AdminCLI)
	if err != nil || c.ClientID != clients.AdminCLI || !c.PublicClient || c.StandardFlowEnabled || !c.DirectAccessGrantsEnabled ||
		c.ServiceAccountsEnabled || !c.Enabled {
		t.Fatalf("admin-cli = %+v, %v", c, err)
	}
	if _, err := f.svc.Authenticate(ctx, iam.MasterRealm, clients.AdminCLI, ""); err != nil {
		t.Fatalf("admin-cli is not public: %v", err)
	}
	rm, err := f.svc.GetByClientID(ctx, iam.MasterRealm, iam.RealmManagement)
	if err != nil || !rm.BearerOnly || rm.PublicClient || rm.StandardFlowEnabled || rm.DirectAccessGrantsEnabled ||
		rm.ServiceAccountsEnabled || !rm.Enabled {
		t.Fatalf("realm-management = %+v, %v; want Keycloak's bearer-only client", rm, err)
	}
}

// TestEnsureDefaultsInAddsWhatExistingRealmsLack: realms made before a
// default client existed get it at start, and nothing else changes.
func TestEnsureDefaultsInAddsWhatExistingRealmsLack(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	old, err := f.svc.Create(ctx, "acme", clients.AdminCLIClient(), "") // as before realm-management
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.EnsureDefaultsIn(ctx, []iam.Realm{"acme", "beta"}); err != nil {
		t.Fatal(err)
	}
	for _, realm := range []iam.Realm{"acme", "beta"} {
		for _, id := range []string{clients.AdminCLI, iam.RealmManagement} {
			if _, err := f.svc.GetByClientID(ctx, realm, id); err != nil {
				t.Fatalf("%s of %s: %v", id, realm, err)
			}
		}
	}
	if c, err := f.svc.GetByClientID(ctx, "acme", clients.AdminCLI); err != nil || c.ID != old.ID {
		t.Fatalf("acme's admin-cli = %+v, %v; want the one it had", c, err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := f.svc.EnsureDefaultsIn(cancelled, []iam.Realm{"gamma"}); err == nil {
		t.Fatal("EnsureDefaultsIn after ctx ended = nil")
	}
}

// TestRealmManagementIsProtected: its roles are the realm's administrative
// power, so it keeps its clientId, no client takes it, and it stays.
func TestRealmManagementIsProtected(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.svc.EnsureDefaults(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	rm, err := f.svc.GetByClientID(ctx, "acme", iam.RealmManagement)
	if err != nil {
		t.Fatal(err)
	}
	other := f.create(t, validClient(), "")
	rename := func(id, to string) error {
		_, err := f.svc.Update(ctx, "acme", id, clients.Update{ClientID: &to})
		return err
	}
	tests := []struct {
		name string
		err  error
	}{
		{"RenamingIt", rename(rm.ID, "taken-over")},
		{"RenamingAnotherToIt", rename(other.ID, iam.RealmManagement)},
		{"DeletingIt", f.svc.Delete(ctx, "acme", rm.ID)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if iam.ErrorCode(tt.err) != iam.CodeInvalid || iam.ErrorField(tt.err) != "clientId" {
				t.Fatalf("err = %v, want invalid clientId", tt.err)
			}
		})
	}
	if got, err := f.svc.GetByClientID(ctx, "acme", iam.RealmManagement); err != nil || got.ID != rm.ID {
		t.Fatalf("realm-management after the refusals = %+v, %v", got, err)
	}
	enabled := false
	if _, err := f.svc.Update(ctx, "acme", rm.ID, clients.Update{Enabled: &enabled}); err != nil {
		t.Fatalf("other changes are allowed: %v", err)
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
