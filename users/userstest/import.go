package userstest

import (
	"slices"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// recordEvents returns an ImportBatch.Events that records outcomes and
// returns no events.
func recordEvents() (func(users.ImportOutcome) []iam.Event, func() []users.ImportAction) {
	var mu sync.Mutex
	var seen []users.ImportAction
	return func(o users.ImportOutcome) []iam.Event {
			mu.Lock()
			defer mu.Unlock()
			seen = append(seen, o.Action)
			return nil
		}, func() []users.ImportAction {
			mu.Lock()
			defer mu.Unlock()
			return slices.Clone(seen)
		}
}

// existing creates alice, with a password, whom the import batches meet.
func existing(t *testing.T, s users.Store) users.User {
	t.Helper()
	c := cred("existing-hash")
	return mustCreate(t, s, newUser("acme", "alice"), users.CreateOptions{UniqueEmail: true, Password: &c})
}

// batch imports bob (with a password), alice (existing) and carol in mode.
func batch(mode users.ImportMode) users.ImportBatch {
	a := newUser("acme", "alice")
	a.FirstName = "Imported"
	c := cred("imported-hash")
	return users.ImportBatch{Mode: mode, UniqueEmail: true, Items: []users.ImportItem{
		{User: newUser("acme", "bob"), Password: &c},
		{User: a},
		{User: newUser("acme", "carol")},
	}}
}

func testImportFailLeavesEverythingUnchanged(t *testing.T, h Harness) {
	s := h.Store
	existing(t, s)
	_, err := s.Import(ctx(t), "acme", batch(users.ImportFail))
	wantConflict(t, err, "username")
	if n, _ := s.Count(ctx(t), "acme", users.Filter{}); n != 1 {
		t.Fatalf("%d users after failed import, want 1", n)
	}
}

func testImportSkipKeepsExisting(t *testing.T, h Harness) {
	s := h.Store
	a := existing(t, s)
	events, seen := recordEvents()
	b := batch(users.ImportSkip)
	b.Events = events
	out, err := s.Import(ctx(t), "acme", b)
	if err != nil {
		t.Fatal(err)
	}
	want := []users.ImportAction{users.ImportAdded, users.ImportSkipped, users.ImportAdded}
	if got := actions(out); !slices.Equal(got, want) || !slices.Equal(seen(), want) {
		t.Fatalf("outcomes %v, events for %v; want %v", got, seen(), want)
	}
	if out[1].User.ID != a.ID {
		t.Fatalf("skipped outcome names %s, want the existing %s", out[1].User.ID, a.ID)
	}
	got, _ := s.Get(ctx(t), "acme", a.ID)
	sameUser(t, got, a)
	bob, err := s.GetByUsername(ctx(t), "acme", "bob")
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.GetPassword(ctx(t), "acme", bob.ID); err != nil || c.Hash != "imported-hash" {
		t.Fatalf("imported password = %+v, %v", c, err)
	}
}

func testImportOverwriteKeepsIDAndCreatedAt(t *testing.T, h Harness) {
	s := h.Store
	a := existing(t, s)
	out, err := s.Import(ctx(t), "acme", batch(users.ImportOverwrite))
	if err != nil {
		t.Fatal(err)
	}
	if got := actions(out); !slices.Equal(got, []users.ImportAction{users.ImportAdded, users.ImportOverwritten, users.ImportAdded}) {
		t.Fatalf("outcomes %v", got)
	}
	got, _ := s.Get(ctx(t), "acme", a.ID)
	if got.FirstName != "Imported" || !got.CreatedAt.Equal(a.CreatedAt) || out[1].User.ID != a.ID {
		t.Fatalf("overwritten user = %+v", got)
	}
	if _, err := s.GetPassword(ctx(t), "acme", a.ID); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("overwrite without password kept the old one: %v", err)
	}
	if n, _ := s.Count(ctx(t), "acme", users.Filter{}); n != 3 {
		t.Fatalf("%d users, want 3", n)
	}
}

func testImportOverwriteAsksMayOverwrite(t *testing.T, h Harness) {
	s := h.Store
	a := existing(t, s)
	var asked []string
	b := batch(users.ImportOverwrite)
	b.MayOverwrite = func(u users.User) error {
		asked = append(asked, u.ID+" "+u.FirstName)
		return iam.Errorf(iam.CodeForbidden, "not this one")
	}
	_, err := s.Import(ctx(t), "acme", b)
	if iam.ErrorCode(err) != iam.CodeForbidden || iam.ErrorMessage(err) != "not this one" {
		t.Fatalf("Import = %v, want MayOverwrite's error unchanged", err)
	}
	if want := []string{a.ID + " " + a.FirstName}; !slices.Equal(asked, want) {
		t.Fatalf("MayOverwrite asked about %v, want only the existing user as stored %v", asked, want)
	}
	got, _ := s.Get(ctx(t), "acme", a.ID)
	sameUser(t, got, a)
	if c, err := s.GetPassword(ctx(t), "acme", a.ID); err != nil || c.Hash != "existing-hash" {
		t.Fatalf("password after a refused overwrite = %+v, %v", c, err)
	}
	if n, _ := s.Count(ctx(t), "acme", users.Filter{}); n != 1 {
		t.Fatalf("%d users after a refused import, want 1", n)
	}
}

func testImportEmailConflictFailsWholeBatch(t *testing.T, h Harness) {
	s := h.Store
	existing(t, s)
	dup := newUser("acme", "dave")
	dup.Email = "alice@example.com"
	_, err := s.Import(ctx(t), "acme", users.ImportBatch{Mode: users.ImportSkip, UniqueEmail: true,
		Items: []users.ImportItem{{User: newUser("acme", "bob")}, {User: dup}}})
	wantConflict(t, err, "email")
	if _, err := s.GetByUsername(ctx(t), "acme", "bob"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("bob was imported by a failed batch: %v", err)
	}
}

func testImportEmptyBatch(t *testing.T, h Harness) {
	s := h.Store
	out, err := s.Import(ctx(t), "acme", users.ImportBatch{Mode: users.ImportFail})
	if err != nil || len(out) != 0 {
		t.Fatalf("Import = %v, %v", out, err)
	}
}

func actions(out []users.ImportOutcome) []users.ImportAction {
	var a []users.ImportAction
	for _, o := range out {
		a = append(a, o.Action)
	}
	return a
}
