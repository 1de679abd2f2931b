package clientstest

import (
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// testCreateIfAbsent checks the realm.created consumer's step: a client is
// created, with its event, only while its clientId is free in the realm;
// otherwise nothing changes and nothing is recorded, and a caller's
// transaction goes on.
func testCreateIfAbsent(t *testing.T, h Harness) {
	want := record("acme", "web")
	created, err := h.Store.CreateIfAbsent(ctx(t), want, event(t, iam.TopicClientCreated, want.Client))
	if err != nil || !created {
		t.Fatalf("CreateIfAbsent of a free clientId = %v, %v", created, err)
	}
	got, err := h.Store.GetByClientID(ctx(t), "acme", "web")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, got, want)

	again := record("acme", "web")
	created, err = h.Store.CreateIfAbsent(ctx(t), again, event(t, iam.TopicClientCreated, again.Client))
	if err != nil || created {
		t.Fatalf("CreateIfAbsent of a taken clientId = %v, %v, want false, nil", created, err)
	}
	if _, err := h.Store.Get(ctx(t), "acme", again.Client.ID); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("the second record was stored: %v", err)
	}
	takenID := record("acme", "other")
	takenID.Client.ID = want.Client.ID
	_, err = h.Store.CreateIfAbsent(ctx(t), takenID)
	wantConflict(t, err, "id")
	// Another realm's clientId is another clientId.
	if created, err := h.Store.CreateIfAbsent(ctx(t), record("other", "web")); err != nil || !created {
		t.Fatalf("CreateIfAbsent in another realm = %v, %v", created, err)
	}

	// Inside Once, a taken clientId leaves the transaction usable.
	err = h.Store.Once(ctx(t), "test", iam.NewID(), func(st clients.Store) error {
		if created, err := st.CreateIfAbsent(ctx(t), record("acme", "web")); err != nil || created {
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
	if len(recorded) != 1 || recorded[0] != want.Client.ID {
		t.Fatalf("events recorded for %v, want one, for %s", recorded, want.Client.ID)
	}
}

// testConcurrentCreateIfAbsent: concurrent calls for one clientId create
// it once and record one event.
func testConcurrentCreateIfAbsent(t *testing.T, h Harness) {
	const n = 10
	var wg sync.WaitGroup
	type result struct {
		created bool
		err     error
	}
	results := make(chan result, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := public("acme", "admin-cli")
			created, err := h.Store.CreateIfAbsent(ctx(t), rec, event(t, iam.TopicClientCreated, rec.Client))
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
		if r.created {
			created++
		}
	}
	list, _ := h.Store.List(ctx(t), "acme", clients.Filter{})
	if created != 1 || len(list) != 1 || len(h.Events(t)) != 1 {
		t.Fatalf("%d of %d concurrent calls created, %d clients stored, %d events, want 1 each", created, n, len(list), len(h.Events(t)))
	}
}
