package usersmem_test

import (
	"context"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userstest"
)

func TestConformance(t *testing.T) {
	userstest.Run(t, func(t *testing.T) users.Store { return usersmem.New(nil) })
}

// recorder is an iam.Publisher that keeps what it is given.
type recorder struct {
	mu     sync.Mutex
	events []iam.Event
}

func (r *recorder) Publish(_ context.Context, events ...iam.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	return nil
}

func TestEventsArePublishedAfterSuccessfulChangesOnly(t *testing.T) {
	pub := &recorder{}
	s := usersmem.New(pub)
	ctx := context.Background()
	u := users.User{ID: iam.NewID(), Realm: "acme", Username: "alice"}
	e1, _ := users.CreatedEvent(u)
	if err := s.Create(ctx, u, users.CreateOptions{}, e1); err != nil {
		t.Fatal(err)
	}
	dup := u
	dup.ID = iam.NewID()
	e2, _ := users.CreatedEvent(dup)
	if err := s.Create(ctx, dup, users.CreateOptions{}, e2); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("duplicate: %v", err)
	}
	e3, _ := users.DeletedEvent(u)
	if err := s.Delete(ctx, "acme", u.ID, e3); err != nil {
		t.Fatal(err)
	}
	if len(pub.events) != 2 || pub.events[0].ID != e1.ID || pub.events[1].ID != e3.ID {
		t.Fatalf("published %d events: %+v", len(pub.events), pub.events)
	}
}
