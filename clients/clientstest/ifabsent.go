package clientstest

import (
	"slices"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// creation is rec with its client.created event.
func creation(t *testing.T, rec clients.Record) clients.Creation {
	return clients.Creation{Record: rec, Events: []iam.Event{event(t, iam.TopicClientCreated, rec.Client)}}
}

// testCreateIfAbsent checks the realm.created consumer's step: clients are
// created, each with its event, only while their clientId is free in the
// realm; a taken one changes nothing and records nothing, the others are
// created all the same, and a caller's transaction goes on.
func testCreateIfAbsent(t *testing.T, h Harness) {
	want := record("acme", "web")
	created, err := h.Store.CreateIfAbsent(ctx(t), creation(t, want))
	if err != nil || !slices.Equal(created, []bool{true}) {
		t.Fatalf("CreateIfAbsent of a free clientId = %v, %v", created, err)
	}
	got, err := h.Store.GetByClientID(ctx(t), "acme", "web")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, got, want)

	again, cli := record("acme", "web"), public("acme", "cli")
	created, err = h.Store.CreateIfAbsent(ctx(t), creation(t, again), creation(t, cli))
	if err != nil || !slices.Equal(created, []bool{false, true}) {
		t.Fatalf("CreateIfAbsent of a taken and a free clientId = %v, %v, want [false true]", created, err)
	}
	if _, err := h.Store.Get(ctx(t), "acme", again.Client.ID); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("the second record was stored: %v", err)
	}
	got, err = h.Store.GetByClientID(ctx(t), "acme", "cli")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, got, cli)

	// A taken id fails the call: nothing of it is stored.
	takenID, free := record("acme", "other"), record("acme", "free")
	takenID.Client.ID = want.Client.ID
	_, err = h.Store.CreateIfAbsent(ctx(t), creation(t, free), creation(t, takenID))
	wantConflict(t, err, "id")
	if _, err := h.Store.GetByClientID(ctx(t), "acme", "free"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("a client of a failed call was stored: %v", err)
	}
	// Clients of two realms are refused.
	if _, err := h.Store.CreateIfAbsent(ctx(t), creation(t, record("acme", "x")), creation(t, record("other", "y"))); iam.ErrorCode(err) != iam.CodeInvalid {
		t.Fatalf("CreateIfAbsent across realms = %v, want CodeInvalid", err)
	}
	// Another realm's clientId is another clientId.
	if created, err := h.Store.CreateIfAbsent(ctx(t), clients.Creation{Record: record("other", "web")}); err != nil || !slices.Equal(created, []bool{true}) {
		t.Fatalf("CreateIfAbsent in another realm = %v, %v", created, err)
	}
	if created, err := h.Store.CreateIfAbsent(ctx(t)); err != nil || len(created) != 0 {
		t.Fatalf("CreateIfAbsent of nothing = %v, %v", created, err)
	}

	// Inside Once, a taken clientId leaves the transaction usable.
	err = h.Store.Once(ctx(t), "test", iam.NewID(), func(st clients.Store) error {
		if created, err := st.CreateIfAbsent(ctx(t), clients.Creation{Record: record("acme", "web")}); err != nil || !slices.Equal(created, []bool{false}) {
			t.Errorf("taken clientId in Once = %v, %v", created, err)
		}
		return st.Create(ctx(t), public("acme", "after"))
	})
	if err != nil {
		t.Fatalf("Once after a taken clientId: %v", err)
	}
	if _, err := h.Store.GetByClientID(ctx(t), "acme", "after"); err != nil {
		t.Fatalf("the change after a taken clientId: %v", err)
	}

	var recorded []string
	for _, e := range h.Events(t) {
		recorded = append(recorded, e.Subject)
	}
	if !slices.Equal(recorded, []string{want.Client.ID, cli.Client.ID}) {
		t.Fatalf("events recorded for %v, want one for %s and one for %s", recorded, want.Client.ID, cli.Client.ID)
	}
}

// testConcurrentCreateIfAbsent: concurrent calls for one clientId create
// it once and record one event.
func testConcurrentCreateIfAbsent(t *testing.T, h Harness) {
	const n = 10
	var wg sync.WaitGroup
	type result struct {
		created []bool
		err     error
	}
	results := make(chan result, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			created, err := h.Store.CreateIfAbsent(ctx(t), creation(t, public("acme", "admin-cli")))
			results <- result{created, err}
		}()
	}
	wg.Wait()
	close(results)
	created := 0
	for r := range results {
		if r.err != nil {
			t.Fatalf("concurrent CreateIfAbsent: %v", r.err)
		}
		if len(r.created) != 1 {
			t.Fatalf("CreateIfAbsent of one client answered %v", r.created)
		}
		if r.created[0] {
			created++
		}
	}
	list, _ := h.Store.List(ctx(t), "acme", clients.Filter{})
	if created != 1 || len(list) != 1 || len(h.Events(t)) != 1 {
		t.Fatalf("%d of %d concurrent calls created, %d clients stored, %d events, want 1 each", created, n, len(list), len(h.Events(t)))
	}
}
