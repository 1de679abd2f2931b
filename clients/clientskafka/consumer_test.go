package clientskafka_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientskafka"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmsmem"
)

func newBus(t *testing.T) *iambus.Bus {
	t.Helper()
	bus := iambus.New(iambus.WithBackoff(time.Millisecond, 5*time.Millisecond))
	t.Cleanup(func() { _ = bus.Close() })
	return bus
}

// eventually polls cond until it holds (the bus delivers asynchronously).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRealmEventsDriveTheClientsService(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := newBus(t)
	if err := bus.Declare(clients.Consumer, clients.Topics()...); err != nil {
		t.Fatal(err)
	}
	realmSvc := realms.New(realmsmem.New(bus))
	clientSvc := clients.New(clientsmem.New(bus))
	done := make(chan error, 1)
	go func() { done <- clientskafka.Run(ctx, bus, clientSvc) }()

	if _, err := realmSvc.Create(ctx, realms.Realm{Name: "acme", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "admin-cli in acme", func() bool {
		_, err := clientSvc.GetByClientID(ctx, "acme", clients.AdminCLI)
		return err == nil
	})
	if _, err := clientSvc.Create(ctx, "acme", clients.Client{ClientID: "web", Enabled: true}, ""); err != nil {
		t.Fatal(err)
	}
	if err := realmSvc.Delete(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "acme's clients deleted", func() bool {
		list, err := clientSvc.List(ctx, "acme", clients.Filter{})
		return err == nil && len(list) == 0
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}

func TestCacheInvalidationAcrossReplicas(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := newBus(t)
	store := clientsmem.New(bus)
	writer, reader := clients.New(store), clients.New(store)
	group := clientskafka.CacheGroup("client-service", "replica-2")
	if err := bus.Declare(group, clientskafka.CacheTopics()...); err != nil {
		t.Fatal(err)
	}
	go func() { _ = clientskafka.RunCacheInvalidation(ctx, bus, group, reader) }()

	c, err := writer.Create(ctx, "acme", clients.Client{ClientID: "web", Enabled: true}, "the-first-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	// The two replicas share the sealing key in production; here the
	// reader only authenticates, which needs the hash, not the key.
	if _, err := reader.Authenticate(ctx, "acme", "web", "the-first-secret-0123456789"); err != nil {
		t.Fatal(err)
	}
	secret, err := writer.RotateSecret(ctx, "acme", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "old secret refused by the other replica", func() bool {
		_, err := reader.Authenticate(ctx, "acme", "web", "the-first-secret-0123456789")
		return iam.ErrorCode(err) == iam.CodeUnauthenticated
	})
	if _, err := reader.Authenticate(ctx, "acme", "web", secret); err != nil {
		t.Fatal(err)
	}
	if err := writer.Delete(ctx, "acme", c.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "deleted client refused by the other replica", func() bool {
		_, err := reader.Authenticate(ctx, "acme", "web", secret)
		return iam.ErrorCode(err) == iam.CodeUnauthenticated
	})
}

// recorder records invalidations.
type recorder struct {
	ids    []string
	realms []iam.Realm
}

func (r *recorder) Invalidate(realm iam.Realm, id string) {
	r.ids = append(r.ids, string(realm)+"/"+id)
}
func (r *recorder) InvalidateRealm(realm iam.Realm) { r.realms = append(r.realms, realm) }

func TestCacheHandler(t *testing.T) {
	rec := &recorder{}
	h := clientskafka.CacheHandler(rec)
	send := func(topic string, realm iam.Realm, subject string, data any) {
		e, err := iam.NewEvent("/test", topic, realm, subject, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := h(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	send(iam.TopicClientUpdated, "acme", "c1", clients.UpdatedEvent{ID: "c1"})
	send(iam.TopicClientDeleted, "acme", "c2", nil)
	send(iam.TopicClientCreated, "acme", "c3", nil)
	send(iam.TopicRealmDeleted, "beta", "beta", nil)
	send(iam.TopicUserDeleted, "acme", "u1", nil)
	if len(rec.ids) != 2 || rec.ids[0] != "acme/c1" || rec.ids[1] != "acme/c2" || len(rec.realms) != 1 || rec.realms[0] != "beta" {
		t.Fatalf("invalidations = %v %v", rec.ids, rec.realms)
	}
}
