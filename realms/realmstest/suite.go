package realmstest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Harness is one fresh, empty store under test and a way to read the events
// it has recorded (the memory store's publisher, the Postgres outbox).
type Harness struct {
	Store realms.Store
	// Events returns every event the store has recorded, oldest first.
	Events func(t *testing.T) []iam.Event
}

// Run runs the conformance suite; newHarness must return an empty store each
// time it is called.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"CreateThenGetReturnsEveryField", testCreateGet},
		{"CreateDuplicateIsConflict", testCreateDuplicate},
		{"GetMissingIsNotFound", testGetMissing},
		{"ListIsOrderedByName", testList},
		{"UpdateAppliesChangeAndKeepsNameAndID", testUpdate},
		{"UpdateErrorChangesNothing", testUpdateError},
		{"UpdateMissingIsNotFound", testUpdateMissing},
		{"ConcurrentUpdatesDoNotLoseChanges", testConcurrentUpdates},
		{"DeleteRemoves", testDelete},
		{"DeleteMissingIsNotFound", testDeleteMissing},
		{"ValuesAreCopied", testCopies},
		{"ConcurrentCreatesOfOneNameOneWins", testConcurrentCreate},
		{"EventsAreRecordedWithTheirChange", testEvents},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, newHarness(t))
		})
	}
}

// full returns a realm with every field set to a non-default value.
func full(name iam.Realm) realms.Realm {
	at := time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)
	return realms.Realm{
		Name:                  name,
		ID:                    "id-of-" + string(name),
		DisplayName:           "Acme Corp ✓",
		Enabled:               true,
		AccessTokenLifespan:   7 * time.Minute,
		SSOSessionIdleTimeout: 45 * time.Minute,
		SSOSessionMaxLifespan: 8 * time.Hour,
		AccessCodeLifespan:    90 * time.Second,
		PasswordPolicy: realms.PasswordPolicy{MinLength: 12, Digits: 1, UpperCase: 2, LowerCase: 3, SpecialChars: 4,
			NotUsername: true, NotEmail: true, PasswordHistory: 5, HashIterations: 3, HashMemoryKiB: 65536},
		BruteForce: realms.BruteForce{Enabled: true, FailureFactor: 5, WaitIncrement: 2 * time.Minute,
			MaxWait: 20 * time.Minute, ResetAfter: 6 * time.Hour},
		MFA:              realms.MFARequired,
		SigningAlgorithm: realms.AlgES256,
		SMTP: realms.SMTP{Host: "smtp.acme.test", Port: 587, From: "noreply@acme.test", FromName: "Acme",
			User: "mailer", Password: "smtp-pass", StartTLS: true},
		CORSOrigins:            []string{"https://app.acme.test", "http://localhost:3000"},
		RegistrationAllowed:    true,
		DuplicateEmailsAllowed: true,
		Attributes:             map[string]string{"frontendUrl": "https://id.acme.test", "empty": ""},
		CreatedAt:              at,
		UpdatedAt:              at.Add(time.Second),
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

func event(t *testing.T, topic string, name iam.Realm) iam.Event {
	t.Helper()
	e, err := iam.NewEvent(realms.Source, topic, name, string(name), realms.UpdatedEvent{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func mustCreate(t *testing.T, s realms.Store, r realms.Realm) {
	t.Helper()
	if err := s.Create(ctx(t), r); err != nil {
		t.Fatalf("Create(%s): %v", r.Name, err)
	}
}

func wantCode(t *testing.T, err error, code iam.Code) {
	t.Helper()
	if iam.ErrorCode(err) != code {
		t.Fatalf("err = %v, want code %s", err, code)
	}
	var e *iam.Error
	if !errors.As(err, &e) {
		t.Fatalf("err %v is not an *iam.Error", err)
	}
}

func equal(t *testing.T, got, want realms.Realm) {
	t.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("timestamps = %v/%v, want %v/%v", got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt)
	}
	got.CreatedAt, got.UpdatedAt = want.CreatedAt, want.UpdatedAt
	if !reflect.DeepEqual(normalize(got), normalize(want)) {
		t.Fatalf("realm differs\n got: %#v\nwant: %#v", got, want)
	}
}

// normalize treats nil and empty slices and maps alike.
func normalize(r realms.Realm) realms.Realm {
	if len(r.CORSOrigins) == 0 {
		r.CORSOrigins = nil
	}
	if len(r.Attributes) == 0 {
		r.Attributes = nil
	}
	return r
}

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
		r.UpdatedAt = later
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := full("acme")
	want.DisplayName, want.CORSOrigins, want.SMTP, want.Attributes, want.UpdatedAt = "New", []string{"https://new.test"}, realms.SMTP{}, nil, later
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
