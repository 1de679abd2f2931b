package mfakafka_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfakafka"
	"github.com/opengate-iam/opengate/mfa/mfamem"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmsmem"
)

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

func TestUserAndRealmEventsRemoveFactors(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := iambus.New(iambus.WithBackoff(time.Millisecond, 5*time.Millisecond))
	t.Cleanup(func() { _ = bus.Close() })
	if err := bus.Declare(mfa.Consumer, mfa.Topics()...); err != nil {
		t.Fatal(err)
	}
	realmSvc := realms.New(realmsmem.New(bus))
	if _, err := realmSvc.Create(ctx, realms.Realm{Name: "acme", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	store := mfamem.New()
	svc := mfa.New(store, mfamem.NewEphemeral(), realmSvc)
	done := make(chan error, 1)
	go func() { done <- mfakafka.Run(ctx, bus, svc) }()

	for _, user := range []string{"u1", "u2"} {
		if err := store.Create(ctx, mfa.Factor{ID: iam.NewID(), Realm: "acme", UserID: user, Type: mfa.TypeRecoveryCodes,
			ConfirmedAt: time.Now(), CodeHashes: [][]byte{{1}}}); err != nil {
			t.Fatal(err)
		}
	}
	count := func(user string) int {
		list, err := store.List(ctx, "acme", user)
		if err != nil {
			t.Fatal(err)
		}
		return len(list)
	}
	deleted, _ := iam.NewEvent("/opengate/users", iam.TopicUserDeleted, "acme", "u1", nil)
	if err := bus.Publish(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	eventually(t, "u1's factors removed", func() bool { return count("u1") == 0 })
	if count("u2") != 1 {
		t.Fatal("user.deleted of u1 removed u2's factors")
	}
	if err := realmSvc.Delete(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "acme's factors removed", func() bool { return count("u2") == 0 })
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v", err)
	}
}
