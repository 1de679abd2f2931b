package realmstest

import (
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

func testCreateGet(t *testing.T, h Harness) {
	want := full("acme")
	mustCreate(t, h.Store, want)
	got, err := h.Store.Get(ctx(t), "acme")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, got, want)

	minimal := realms.Realm{Name: "bare", CreatedAt: want.CreatedAt, UpdatedAt: want.CreatedAt}
	mustCreate(t, h.Store, minimal)
	got, err = h.Store.Get(ctx(t), "bare")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, got, minimal)
}

func testCreateDuplicate(t *testing.T, h Harness) {
	mustCreate(t, h.Store, full("acme"))
	other := full("acme")
	other.DisplayName = "Impostor"
	wantCode(t, h.Store.Create(ctx(t), other), iam.CodeConflict)
	if f := iam.ErrorField(h.Store.Create(ctx(t), other)); f != "realm" {
		t.Fatalf("conflict names field %q, want realm", f)
	}
	got, _ := h.Store.Get(ctx(t), "acme")
	if got.DisplayName != full("acme").DisplayName {
		t.Fatalf("duplicate create overwrote the realm: %q", got.DisplayName)
	}
}

func testGetMissing(t *testing.T, h Harness) {
	_, err := h.Store.Get(ctx(t), "nope")
	wantCode(t, err, iam.CodeNotFound)
}

func testList(t *testing.T, h Harness) {
	got, err := h.Store.List(ctx(t))
	if err != nil || len(got) != 0 {
		t.Fatalf("empty List = %v, %v", got, err)
	}
	for _, n := range []iam.Realm{"zeta", "acme", "master", "beta"} {
		mustCreate(t, h.Store, full(n))
	}
	got, err = h.Store.List(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []iam.Realm
	for _, r := range got {
		names = append(names, r.Name)
	}
	if fmt.Sprint(names) != "[acme beta master zeta]" {
		t.Fatalf("List names = %v", names)
	}
	equal(t, got[0], full("acme"))
}

func testUpdate(t *testing.T, h Harness) {
	mustCreate(t, h.Store, full("acme"))
	later := full("acme").UpdatedAt.Add(time.Hour)
	got, err := h.Store.Update(ctx(t), "acme", func(r *realms.Realm) ([]iam.Event, error) {
		r.Name = "renamed"
		r.ID = "another-id"
		r.DisplayName = "New"
		r.CORSOrigins = []string{"https://new.test"}
		r.SMTP = realms.SMTP{}
		r.Attributes = nil
		r.Extra = r.Extra.Merge(iam.Extra{"sslRequired": json.RawMessage(`"none"`), "rememberMe": json.RawMessage(`true`)})
		r.UpdatedAt = later
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := full("acme")
	want.DisplayName, want.CORSOrigins, want.SMTP, want.Attributes, want.UpdatedAt = "New", []string{"https://new.test"}, realms.SMTP{}, nil, later
	want.Extra["sslRequired"], want.Extra["rememberMe"] = json.RawMessage(`"none"`), json.RawMessage(`true`)
	equal(t, got, want)
	stored, err := h.Store.Get(ctx(t), "acme")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, stored, want)
	if _, err := h.Store.Get(ctx(t), "renamed"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("update renamed the realm: %v", err)
	}
}

func testUpdateError(t *testing.T, h Harness) {
	mustCreate(t, h.Store, full("acme"))
	boom := iam.Invalidf("displayName", "no")
	_, err := h.Store.Update(ctx(t), "acme", func(r *realms.Realm) ([]iam.Event, error) {
		r.DisplayName = "changed"
		return []iam.Event{event(t, iam.TopicRealmUpdated, "acme")}, boom
	})
	if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "displayName" {
		t.Fatalf("err = %v, want fn's error", err)
	}
	got, _ := h.Store.Get(ctx(t), "acme")
	equal(t, got, full("acme"))
	if n := len(h.Events(t)); n != 0 {
		t.Fatalf("failed update recorded %d events", n)
	}
}

func testUpdateMissing(t *testing.T, h Harness) {
	called := false
	_, err := h.Store.Update(ctx(t), "nope", func(*realms.Realm) ([]iam.Event, error) {
		called = true
		return nil, nil
	})
	wantCode(t, err, iam.CodeNotFound)
	if called {
		t.Fatal("fn called for a missing realm")
	}
}

func testConcurrentUpdates(t *testing.T, h Harness) {
	r := full("acme")
	r.BruteForce.FailureFactor = 0
	mustCreate(t, h.Store, r)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.Store.Update(ctx(t), "acme", func(r *realms.Realm) ([]iam.Event, error) {
				r.BruteForce.FailureFactor++
				return nil, nil
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, _ := h.Store.Get(ctx(t), "acme")
	if got.BruteForce.FailureFactor != n {
		t.Fatalf("FailureFactor = %d after %d increments: updates were lost", got.BruteForce.FailureFactor, n)
	}
}

func testDelete(t *testing.T, h Harness) {
	mustCreate(t, h.Store, full("acme"))
	mustCreate(t, h.Store, full("beta"))
	if err := h.Store.Delete(ctx(t), "acme"); err != nil {
		t.Fatal(err)
	}
	_, err := h.Store.Get(ctx(t), "acme")
	wantCode(t, err, iam.CodeNotFound)
	if _, err := h.Store.Get(ctx(t), "beta"); err != nil {
		t.Fatalf("delete removed another realm: %v", err)
	}
	mustCreate(t, h.Store, full("acme")) // the name is free again
}

func testDeleteMissing(t *testing.T, h Harness) {
	wantCode(t, h.Store.Delete(ctx(t), "nope"), iam.CodeNotFound)
}

func testCopies(t *testing.T, h Harness) {
	in := full("acme")
	mustCreate(t, h.Store, in)
	in.CORSOrigins[0] = "https://mutated.test"
	in.Attributes["frontendUrl"] = "mutated"
	got, _ := h.Store.Get(ctx(t), "acme")
	got.CORSOrigins[0] = "https://mutated.test"
	got.Attributes["frontendUrl"] = "mutated"
	again, _ := h.Store.Get(ctx(t), "acme")
	equal(t, again, full("acme"))
}

func testConcurrentCreate(t *testing.T, h Harness) {
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- h.Store.Create(ctx(t), full("acme"))
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch iam.ErrorCode(err) {
		case "":
			ok++
		case iam.CodeConflict:
		default:
			t.Fatalf("concurrent create: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent creates succeeded, want 1", ok)
	}
}

func testEvents(t *testing.T, h Harness) {
	created := event(t, iam.TopicRealmCreated, "acme")
	if err := h.Store.Create(ctx(t), full("acme"), created); err != nil {
		t.Fatal(err)
	}
	_ = h.Store.Create(ctx(t), full("acme"), event(t, iam.TopicRealmCreated, "acme")) // conflict: no event
	updated := event(t, iam.TopicRealmUpdated, "acme")
	if _, err := h.Store.Update(ctx(t), "acme", func(r *realms.Realm) ([]iam.Event, error) {
		return []iam.Event{updated}, nil
	}); err != nil {
		t.Fatal(err)
	}
	_ = h.Store.Delete(ctx(t), "nope", event(t, iam.TopicRealmDeleted, "nope")) // not found: no event
	deleted := event(t, iam.TopicRealmDeleted, "acme")
	if err := h.Store.Delete(ctx(t), "acme", deleted); err != nil {
		t.Fatal(err)
	}
	got := h.Events(t)
	want := []iam.Event{created, updated, deleted}
	if len(got) != len(want) {
		t.Fatalf("recorded %d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Type != want[i].Type || got[i].Realm != want[i].Realm {
			t.Fatalf("event %d = %s %s, want %s %s", i, got[i].Type, got[i].ID, want[i].Type, want[i].ID)
		}
	}
}
