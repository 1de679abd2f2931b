package rbackafka_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbackafka"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
)

// signalling wraps the service and reports each handled event.
type signalling struct {
	svc  *rbac.Service
	done chan iam.Event
}

func (s signalling) HandleEvent(ctx context.Context, e iam.Event) error {
	err := s.svc.HandleEvent(ctx, e)
	if err == nil {
		s.done <- e
	}
	return err
}

func TestRunConsumesTheBus(t *testing.T) {
	bus := iambus.New(iambus.WithBackoff(time.Millisecond, 5*time.Millisecond))
	t.Cleanup(func() { _ = bus.Close() })
	if err := bus.Declare(rbac.Consumer, rbac.Topics()...); err != nil {
		t.Fatal(err)
	}
	svc := rbac.New(rbacmem.New(bus))
	h := signalling{svc: svc, done: make(chan iam.Event, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- rbackafka.Run(ctx, bus, h) }()

	publish := func(topic string, realm iam.Realm, subject string, data any) {
		t.Helper()
		e, err := iam.NewEvent("/opengate/test", topic, realm, subject, data)
		if err != nil {
			t.Fatal(err)
		}
		if err := bus.Publish(context.Background(), e); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-h.done:
			if got.ID != e.ID {
				t.Fatalf("handled %s, want %s", got.Type, e.Type)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s was not handled", topic)
		}
	}
	publish(iam.TopicRealmCreated, "acme", "acme", map[string]string{"name": "acme"})
	publish(iam.TopicUserCreated, "acme", "u1", map[string]string{"id": "u1", "username": "alice"})
	rr, _, err := svc.EffectiveRoles(context.Background(), "acme", "u1")
	if err != nil || !slices.Equal(rr, []string{"default-roles-acme", "offline_access", "uma_authorization"}) {
		t.Fatalf("u1 roles = %v, %v", rr, err)
	}
	publish(iam.TopicUserDeleted, "acme", "u1", map[string]string{"id": "u1"})
	if rr, _, _ := svc.EffectiveRoles(context.Background(), "acme", "u1"); len(rr) != 0 {
		t.Fatalf("u1 roles after user.deleted = %v", rr)
	}

	cancel()
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}
