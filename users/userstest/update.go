package userstest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// set is an Update fn that makes the user u, as a caller that read it
// earlier would.
func set(u users.User) func(*users.User) ([]iam.Event, error) {
	return func(x *users.User) ([]iam.Event, error) {
		*x = u.Clone()
		return nil, nil
	}
}

func testUpdateAppliesChangeAndKeepsIdentity(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{UniqueEmail: true})
	got, err := s.Update(ctx(t), "acme", u.ID, users.UpdateOptions{UniqueEmail: true}, func(x *users.User) ([]iam.Event, error) {
		sameUser(t, *x, u) // fn sees the stored user
		x.Username, x.Email, x.EmailVerified = "alice2", "alice2@example.com", true
		x.FirstName, x.LastName, x.Enabled = "A", "B", false
		x.Attributes = map[string][]string{"x": {"y"}}
		x.RequiredActions = []string{users.ActionUpdatePassword, users.ActionConfigureTOTP}
		x.Extra = x.Extra.Merge(iam.Extra{"notBefore": json.RawMessage(`0`), "totp": json.RawMessage(`false`)})
		x.UpdatedAt = ts.Add(time.Hour)
		x.ID, x.Realm, x.CreatedAt = iam.NewID(), "other", ts.Add(48*time.Hour) // kept by the store
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := u
	want.Username, want.Email, want.EmailVerified = "alice2", "alice2@example.com", true
	want.FirstName, want.LastName, want.Enabled = "A", "B", false
	want.Attributes = map[string][]string{"x": {"y"}}
	want.RequiredActions = []string{users.ActionUpdatePassword, users.ActionConfigureTOTP}
	want.Extra = want.Extra.Merge(iam.Extra{"notBefore": json.RawMessage(`0`), "totp": json.RawMessage(`false`)})
	want.UpdatedAt = ts.Add(time.Hour)
	sameUser(t, got, want)
	stored, _ := s.Get(ctx(t), "acme", u.ID)
	sameUser(t, stored, want)
	if _, err := s.GetByUsername(ctx(t), "acme", "alice"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("old username still resolves: %v", err)
	}
	// The old name and email are free again.
	mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{UniqueEmail: true})
}

func testUpdateErrorChangesNothing(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{UniqueEmail: true})
	boom := iam.Invalidf("firstName", "no")
	_, err := s.Update(ctx(t), "acme", u.ID, users.UpdateOptions{}, func(x *users.User) ([]iam.Event, error) {
		x.FirstName, x.Enabled = "changed", false
		return []iam.Event{event(t, users.UpdatedEvent, *x)}, boom
	})
	if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "firstName" {
		t.Fatalf("err = %v, want fn's error", err)
	}
	got, _ := s.Get(ctx(t), "acme", u.ID)
	sameUser(t, got, u)
	if n := len(h.Events(t)); n != 0 {
		t.Fatalf("failed update recorded %d events", n)
	}
}

func testUpdateMissingIsNotFound(t *testing.T, h Harness) {
	s := h.Store
	called := false
	fn := func(*users.User) ([]iam.Event, error) { called = true; return nil, nil }
	_, err := s.Update(ctx(t), "acme", iam.NewID(), users.UpdateOptions{}, fn)
	wantCode(t, err, iam.CodeNotFound)
	_, err = s.Update(ctx(t), "acme", "not-a-uuid", users.UpdateOptions{}, fn)
	wantCode(t, err, iam.CodeNotFound)
	if called {
		t.Fatal("fn called for a missing user")
	}
}

func testUpdateConflictsNameTheField(t *testing.T, h Harness) {
	s := h.Store
	mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{UniqueEmail: true})
	b := mustCreate(t, s, newUser("acme", "bob"), users.CreateOptions{UniqueEmail: true})
	renamed := b
	renamed.Username = "alice"
	_, err := s.Update(ctx(t), "acme", b.ID, users.UpdateOptions{UniqueEmail: true}, set(renamed))
	wantConflict(t, err, "username")
	sameEmail := b
	sameEmail.Email = "alice@example.com"
	_, err = s.Update(ctx(t), "acme", b.ID, users.UpdateOptions{UniqueEmail: true}, set(sameEmail))
	wantConflict(t, err, "email")
	got, _ := s.Get(ctx(t), "acme", b.ID)
	sameUser(t, got, b)
	if _, err := s.Update(ctx(t), "acme", b.ID, users.UpdateOptions{}, set(sameEmail)); err != nil {
		t.Fatalf("duplicate email without UniqueEmail: %v", err)
	}
}

func testUppercaseUsernameInUpdateIsInvalid(t *testing.T, h Harness) {
	s := h.Store
	u := mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{})
	_, err := s.Update(ctx(t), "acme", u.ID, users.UpdateOptions{}, func(x *users.User) ([]iam.Event, error) {
		x.Username = "Alice"
		return nil, nil
	})
	wantCode(t, err, iam.CodeInvalid)
}

func testConcurrentUpdatesDoNotLoseChanges(t *testing.T, h Harness) {
	s := h.Store
	u := newUser("acme", "alice")
	u.Attributes = nil
	mustCreate(t, s, u, users.CreateOptions{UniqueEmail: true})
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := s.Update(ctx(t), "acme", u.ID, users.UpdateOptions{UniqueEmail: true}, func(x *users.User) ([]iam.Event, error) {
				if x.Attributes == nil {
					x.Attributes = map[string][]string{}
				}
				x.Attributes["n"] = append(x.Attributes["n"], fmt.Sprint(i))
				return nil, nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.Get(ctx(t), "acme", u.ID)
	if vals := got.Attributes["n"]; len(vals) != n {
		slices.Sort(vals)
		t.Fatalf("%d values after %d appends (%v): updates were lost", len(vals), n, vals)
	}
}

// wantConflict fails unless err is CodeConflict naming field.
func wantConflict(t *testing.T, err error, field string) {
	t.Helper()
	if iam.ErrorCode(err) != iam.CodeConflict || iam.ErrorField(err) != field {
		t.Fatalf("err = %v (field %q), want a conflict on %q", err, iam.ErrorField(err), field)
	}
}
