package userstest

import (
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// event returns ev's event, failing the test on an error.
func event(t *testing.T, ev func(users.User) (iam.Event, error), u users.User) iam.Event {
	t.Helper()
	e, err := ev(u)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func testEventsAreRecordedWithTheirChange(t *testing.T, h Harness) {
	s := h.Store
	u := newUser("acme", "alice")
	created := event(t, users.CreatedEvent, u)
	if err := s.Create(ctx(t), u, users.CreateOptions{}, created); err != nil {
		t.Fatal(err)
	}
	dup := newUser("acme", "alice")
	_ = s.Create(ctx(t), dup, users.CreateOptions{}, event(t, users.CreatedEvent, dup)) // conflict: no event
	updated := event(t, users.UpdatedEvent, u)
	if _, err := s.Update(ctx(t), "acme", u.ID, users.UpdateOptions{}, func(*users.User) ([]iam.Event, error) {
		return []iam.Event{updated}, nil
	}); err != nil {
		t.Fatal(err)
	}
	_, _ = s.Update(ctx(t), "acme", u.ID, users.UpdateOptions{}, func(*users.User) ([]iam.Event, error) {
		return []iam.Event{event(t, users.UpdatedEvent, u)}, iam.Invalidf("firstName", "no") // fn failed: no event
	})
	_ = s.Delete(ctx(t), "acme", iam.NewID(), event(t, users.DeletedEvent, u)) // not found: no event
	deleted := event(t, users.DeletedEvent, u)
	if err := s.Delete(ctx(t), "acme", u.ID, deleted); err != nil {
		t.Fatal(err)
	}
	got := h.Events(t)
	want := []iam.Event{created, updated, deleted}
	if len(got) != len(want) {
		t.Fatalf("recorded %d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Type != want[i].Type || got[i].Realm != want[i].Realm || got[i].Subject != want[i].Subject {
			t.Fatalf("event %d = %s %s, want %s %s", i, got[i].Type, got[i].ID, want[i].Type, want[i].ID)
		}
	}
}
