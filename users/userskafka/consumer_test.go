package userskafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userskafka"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userstest"
)

func TestRealmDeletedDeletesItsUsersThroughTheBus(t *testing.T) {
	bus := iambus.New()
	t.Cleanup(func() { _ = bus.Close() })
	if err := bus.Declare(users.Consumer, users.Topics()...); err != nil {
		t.Fatal(err)
	}
	rs := userstest.NewRealms(userstest.Realm("acme"), userstest.Realm("other"))
	svc := users.New(usersmem.New(bus), rs, users.WithParams(userstest.FastParams))
	ctx := context.Background()
	a, err := svc.Create(ctx, "acme", users.User{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := svc.Create(ctx, "other", users.User{Username: "alice"})
	if err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- userskafka.Run(runCtx, bus, svc) }()

	deleted, _ := iam.NewEvent("/opengate/realms", iam.TopicRealmDeleted, "acme", "acme", map[string]string{"name": "acme"})
	// Delivered twice, as an at-least-once bus may.
	if err := bus.Publish(ctx, deleted, deleted); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := svc.Get(ctx, "acme", a.ID)
		if iam.ErrorCode(err) == iam.CodeNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("acme's user still there: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := svc.Get(ctx, "other", o.ID); err != nil {
		t.Fatalf("other realm's user: %v", err)
	}
	stop()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run = %v", err)
	}
}
