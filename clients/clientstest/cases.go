package clientstest

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

func testCreateGet(t *testing.T, h Harness) {
	want := mustCreate(t, h.Store, record("acme", "web"))
	got, err := h.Store.Get(ctx(t), "acme", want.Client.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, got, want)
	pub := mustCreate(t, h.Store, public("acme", "spa"))
	got, err = h.Store.Get(ctx(t), "acme", pub.Client.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, got, pub)
	_, err = h.Store.Get(ctx(t), "acme", iam.NewID())
	wantCode(t, err, iam.CodeNotFound)
}

func testGetByClientID(t *testing.T, h Harness) {
	want := mustCreate(t, h.Store, record("acme", "web"))
	got, err := h.Store.GetByClientID(ctx(t), "acme", "web")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, got, want)
	_, err = h.Store.GetByClientID(ctx(t), "acme", "WEB")
	wantCode(t, err, iam.CodeNotFound) // clientIds are case-sensitive, as in Keycloak
}

func testClientIDUnique(t *testing.T, h Harness) {
	first := mustCreate(t, h.Store, record("acme", "web"))
	wantConflict(t, h.Store.Create(ctx(t), record("acme", "web")), "clientId")
	other := mustCreate(t, h.Store, record("beta", "web"))
	a, _ := h.Store.GetByClientID(ctx(t), "acme", "web")
	b, _ := h.Store.GetByClientID(ctx(t), "beta", "web")
	if a.Client.ID != first.Client.ID || b.Client.ID != other.Client.ID {
		t.Fatalf("same clientId in two realms: ids %s %s", a.Client.ID, b.Client.ID)
	}
}

func testDuplicateID(t *testing.T, h Harness) {
	rec := mustCreate(t, h.Store, record("acme", "web"))
	dup := record("acme", "other")
	dup.Client.ID = rec.Client.ID
	wantConflict(t, h.Store.Create(ctx(t), dup), "id")
}

func testConcurrentCreate(t *testing.T, h Harness) {
	const n = 10
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- h.Store.Create(ctx(t), record("acme", "web"))
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
		t.Fatalf("%d concurrent creates of one clientId succeeded, want 1", ok)
	}
	list, _ := h.Store.List(ctx(t), "acme", clients.Filter{})
	if len(list) != 1 {
		t.Fatalf("%d clients stored", len(list))
	}
}

func testRealmIsolation(t *testing.T, h Harness) {
	rec := mustCreate(t, h.Store, record("acme", "web"))
	id := rec.Client.ID
	_, err := h.Store.Get(ctx(t), "beta", id)
	wantCode(t, err, iam.CodeNotFound)
	_, err = h.Store.GetByClientID(ctx(t), "beta", "web")
	wantCode(t, err, iam.CodeNotFound)
	_, err = h.Store.Update(ctx(t), "beta", id, func(r *clients.Record) ([]iam.Event, error) {
		r.Client.Name = "hijacked"
		return nil, nil
	})
	wantCode(t, err, iam.CodeNotFound)
	wantCode(t, h.Store.Delete(ctx(t), "beta", id), iam.CodeNotFound)
	if list, _ := h.Store.List(ctx(t), "beta", clients.Filter{}); len(list) != 0 {
		t.Fatalf("beta lists acme's clients: %+v", list)
	}
	if n, err := h.Store.DeleteRealm(ctx(t), "beta"); err != nil || n != 0 {
		t.Fatalf("DeleteRealm(beta) = %d, %v", n, err)
	}
	got, err := h.Store.Get(ctx(t), "acme", id)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, got, rec)
}

func testUpdate(t *testing.T, h Harness) {
	rec := mustCreate(t, h.Store, record("acme", "web"))
	later := base.Add(time.Hour)
	got, err := h.Store.Update(ctx(t), "acme", rec.Client.ID, func(r *clients.Record) ([]iam.Event, error) {
		r.Client.ID = iam.NewID()
		r.Client.Realm = "beta"
		r.Client.CreatedAt = later
		r.Client.ClientID = "web2"
		r.Client.Enabled = false
		r.Client.RedirectURIs = nil
		r.Client.Attributes = map[string]string{"k": "v"}
		r.Client.Extra = r.Client.Extra.Merge(iam.Extra{"consentRequired": json.RawMessage(`false`)})
		r.Client.UpdatedAt = later
		r.SecretHash, r.Secret = []byte("new-hash-0123456789abcdef0123456"), "the-new-secret"
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := rec
	want.Client = rec.Client.Clone()
	want.Client.ClientID, want.Client.Enabled, want.Client.RedirectURIs = "web2", false, nil
	want.Client.Attributes, want.Client.UpdatedAt = map[string]string{"k": "v"}, later
	want.Client.Extra = want.Client.Extra.Merge(iam.Extra{"consentRequired": json.RawMessage(`false`)})
	want.SecretHash, want.Secret = []byte("new-hash-0123456789abcdef0123456"), "the-new-secret"
	equal(t, got, want)
	stored, err := h.Store.Get(ctx(t), "acme", rec.Client.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, stored, want)
	if byNew, err := h.Store.GetByClientID(ctx(t), "acme", "web2"); err != nil || byNew.Client.ID != rec.Client.ID {
		t.Fatalf("GetByClientID(new) = %v, %v", byNew.Client.ID, err)
	}
	_, err = h.Store.GetByClientID(ctx(t), "acme", "web")
	wantCode(t, err, iam.CodeNotFound)
	mustCreate(t, h.Store, record("acme", "web")) // the old clientId is free
	// Clearing the secret stores no secret.
	got, err = h.Store.Update(ctx(t), "acme", rec.Client.ID, func(r *clients.Record) ([]iam.Event, error) {
		r.Client.PublicClient, r.SecretHash, r.Secret = true, nil, ""
		return nil, nil
	})
	if err != nil || got.SecretHash != nil || got.Secret != "" {
		t.Fatalf("cleared secret = %x %q, %v", got.SecretHash, got.Secret, err)
	}
}

func testUpdateError(t *testing.T, h Harness) {
	rec := mustCreate(t, h.Store, record("acme", "web"))
	_, err := h.Store.Update(ctx(t), "acme", rec.Client.ID, func(r *clients.Record) ([]iam.Event, error) {
		r.Client.Name = "changed"
		return []iam.Event{event(t, iam.TopicClientUpdated, r.Client)}, iam.Invalidf("name", "no")
	})
	if iam.ErrorField(err) != "name" {
		t.Fatalf("err = %v, want fn's error", err)
	}
	got, _ := h.Store.Get(ctx(t), "acme", rec.Client.ID)
	equal(t, got, rec)
	if n := len(h.Events(t)); n != 0 {
		t.Fatalf("failed update recorded %d events", n)
	}
}

func testUpdateConflict(t *testing.T, h Harness) {
	a := mustCreate(t, h.Store, record("acme", "a"))
	mustCreate(t, h.Store, record("acme", "b"))
	_, err := h.Store.Update(ctx(t), "acme", a.Client.ID, func(r *clients.Record) ([]iam.Event, error) {
		r.Client.ClientID = "b"
		r.Client.Name = "renamed"
		return []iam.Event{event(t, iam.TopicClientUpdated, r.Client)}, nil
	})
	wantConflict(t, err, "clientId")
	got, _ := h.Store.Get(ctx(t), "acme", a.Client.ID)
	equal(t, got, a)
	if n := len(h.Events(t)); n != 0 {
		t.Fatalf("conflicting update recorded %d events", n)
	}
}

func testUpdateMissing(t *testing.T, h Harness) {
	called := false
	_, err := h.Store.Update(ctx(t), "acme", iam.NewID(), func(*clients.Record) ([]iam.Event, error) {
		called = true
		return nil, nil
	})
	wantCode(t, err, iam.CodeNotFound)
	if called {
		t.Fatal("fn called for a missing client")
	}
}

func testConcurrentUpdates(t *testing.T, h Harness) {
	rec := record("acme", "web")
	rec.Client.RedirectURIs = nil
	mustCreate(t, h.Store, rec)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.Store.Update(ctx(t), "acme", rec.Client.ID, func(r *clients.Record) ([]iam.Event, error) {
				r.Client.RedirectURIs = append(r.Client.RedirectURIs, fmt.Sprintf("https://app.test/%d", i))
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
	got, _ := h.Store.Get(ctx(t), "acme", rec.Client.ID)
	if len(got.Client.RedirectURIs) != n {
		t.Fatalf("%d redirect URIs after %d appends: updates were lost", len(got.Client.RedirectURIs), n)
	}
}

func clientIDs(cs []clients.Client) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.ClientID)
	}
	return fmt.Sprint(out)
}

func testList(t *testing.T, h Harness) {
	if got, err := h.Store.List(ctx(t), "acme", clients.Filter{}); err != nil || len(got) != 0 {
		t.Fatalf("empty realm List = %v, %v", got, err)
	}
	for _, id := range []string{"delta", "alpha", "Charlie-App", "bravo", "echo"} {
		mustCreate(t, h.Store, record("acme", id))
	}
	mustCreate(t, h.Store, record("beta", "alpha-beta"))
	tests := []struct {
		f    clients.Filter
		want string
	}{
		{clients.Filter{}, "[Charlie-App alpha bravo delta echo]"},
		{clients.Filter{Max: 2}, "[Charlie-App alpha]"},
		{clients.Filter{First: 2, Max: 2}, "[bravo delta]"},
		{clients.Filter{First: 4, Max: 10}, "[echo]"},
		{clients.Filter{First: 10}, "[]"},
		{clients.Filter{ClientID: "bravo"}, "[bravo]"},
		{clients.Filter{ClientID: "brav"}, "[]"},
		{clients.Filter{ClientID: "BRAVO"}, "[]"},
		{clients.Filter{ClientID: "alpha-beta"}, "[]"},
		{clients.Filter{ClientID: "A", Search: true}, "[Charlie-App alpha bravo delta]"},
		{clients.Filter{ClientID: "app", Search: true}, "[Charlie-App]"},
		{clients.Filter{ClientID: "%", Search: true}, "[]"},
		{clients.Filter{ClientID: "_", Search: true}, "[]"},
		{clients.Filter{ClientID: "a", Search: true, First: 1, Max: 2}, "[alpha bravo]"},
	}
	for _, tt := range tests {
		got, err := h.Store.List(ctx(t), "acme", tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if clientIDs(got) != tt.want {
			t.Errorf("List(%+v) = %s, want %s", tt.f, clientIDs(got), tt.want)
		}
	}
	got, _ := h.Store.List(ctx(t), "acme", clients.Filter{ClientID: "alpha"})
	want, _ := h.Store.GetByClientID(ctx(t), "acme", "alpha")
	equal(t, clients.Record{Client: got[0]}, clients.Record{Client: want.Client})
}

func testDelete(t *testing.T, h Harness) {
	rec := mustCreate(t, h.Store, record("acme", "web"))
	keep := mustCreate(t, h.Store, record("acme", "keep"))
	if err := h.Store.Delete(ctx(t), "acme", rec.Client.ID); err != nil {
		t.Fatal(err)
	}
	_, err := h.Store.Get(ctx(t), "acme", rec.Client.ID)
	wantCode(t, err, iam.CodeNotFound)
	_, err = h.Store.GetByClientID(ctx(t), "acme", "web")
	wantCode(t, err, iam.CodeNotFound)
	wantCode(t, h.Store.Delete(ctx(t), "acme", rec.Client.ID), iam.CodeNotFound)
	if _, err := h.Store.Get(ctx(t), "acme", keep.Client.ID); err != nil {
		t.Fatalf("delete removed another client: %v", err)
	}
	mustCreate(t, h.Store, record("acme", "web"))
}

func testDeleteRealm(t *testing.T, h Harness) {
	for _, id := range []string{"a", "b", "c"} {
		mustCreate(t, h.Store, record("acme", id))
	}
	other := mustCreate(t, h.Store, record("beta", "a"))
	n, err := h.Store.DeleteRealm(ctx(t), "acme")
	if err != nil || n != 3 {
		t.Fatalf("DeleteRealm = %d, %v; want 3", n, err)
	}
	if list, _ := h.Store.List(ctx(t), "acme", clients.Filter{}); len(list) != 0 {
		t.Fatalf("acme still has %d clients", len(list))
	}
	if _, err := h.Store.Get(ctx(t), "beta", other.Client.ID); err != nil {
		t.Fatalf("DeleteRealm(acme) touched beta: %v", err)
	}
	if n, err := h.Store.DeleteRealm(ctx(t), "acme"); err != nil || n != 0 {
		t.Fatalf("second DeleteRealm = %d, %v", n, err)
	}
	mustCreate(t, h.Store, record("acme", "a"))
}

func testOnce(t *testing.T, h Harness) {
	id := iam.NewID()
	runs := 0
	create := func(clientID string) func(clients.Store) error {
		return func(st clients.Store) error {
			runs++
			return st.Create(ctx(t), record("acme", clientID))
		}
	}
	if err := h.Store.Once(ctx(t), "test", id, create("first")); err != nil {
		t.Fatal(err)
	}
	if err := h.Store.Once(ctx(t), "test", id, create("second")); err != nil {
		t.Fatal(err)
	}
	if runs != 1 {
		t.Fatalf("fn ran %d times for one event", runs)
	}
	if _, err := h.Store.GetByClientID(ctx(t), "acme", "first"); err != nil {
		t.Fatalf("effect of fn missing: %v", err)
	}
	// Another consumer handles the same event on its own.
	if err := h.Store.Once(ctx(t), "other", id, create("third")); err != nil || runs != 2 {
		t.Fatalf("other consumer: runs %d, %v", runs, err)
	}
	// A failed fn is not recorded: the redelivery runs it again.
	failed := iam.NewID()
	boom := iam.Errorf(iam.CodeUnavailable, "boom")
	err := h.Store.Once(ctx(t), "test", failed, func(st clients.Store) error {
		if err := st.Create(ctx(t), record("acme", "partial")); err != nil {
			return err
		}
		return boom
	})
	if iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("err = %v, want fn's", err)
	}
	if h.OnceIsAtomic {
		if _, err := h.Store.GetByClientID(ctx(t), "acme", "partial"); iam.ErrorCode(err) != iam.CodeNotFound {
			t.Fatalf("failed fn's write survived: %v", err)
		}
	}
	again := 0
	if err := h.Store.Once(ctx(t), "test", failed, func(clients.Store) error { again++; return nil }); err != nil || again != 1 {
		t.Fatalf("redelivery after failure: ran %d, %v", again, err)
	}
}

func testCopies(t *testing.T, h Harness) {
	in := record("acme", "web")
	want := in
	want.Client = in.Client.Clone()
	mustCreate(t, h.Store, in)
	in.Client.RedirectURIs[0] = "https://mutated.test"
	in.Client.Attributes["k"] = "mutated"
	got, _ := h.Store.Get(ctx(t), "acme", want.Client.ID)
	verifier := string(got.SecretHash)
	got.Client.WebOrigins[0] = "mutated"
	got.Client.Attributes["k"] = "mutated"
	got.SecretHash[0]++
	again, _ := h.Store.Get(ctx(t), "acme", want.Client.ID)
	equal(t, again, want)
	if string(again.SecretHash) != verifier {
		t.Fatal("changing a returned verifier changed the stored one")
	}
}

// testSecretVerifier: the store computes the verifier of a secret (a keyed
// hash, never the caller's value nor the unkeyed SHA-256), and MatchSecret
// accepts exactly that secret, for that client.
func testSecretVerifier(t *testing.T, h Harness) {
	in := record("acme", "web")
	mustCreate(t, h.Store, in)
	other := mustCreate(t, h.Store, record("acme", "other"))
	got, err := h.Store.Get(ctx(t), "acme", in.Client.ID)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte(in.Secret))
	switch hash := got.SecretHash; {
	case len(hash) == 0:
		t.Fatal("no verifier stored for a secret")
	case bytes.Equal(hash, in.SecretHash):
		t.Fatal("the store kept the caller's verifier")
	case bytes.Contains(hash, digest[:]) || bytes.Contains(hash, []byte(in.Secret)):
		t.Fatal("the verifier holds the unkeyed SHA-256 of the secret, or the secret")
	}
	tests := []struct {
		name         string
		realm        iam.Realm
		id           string
		hash         []byte
		secret       string
		match, stale bool
	}{
		{"TheSecret", "acme", in.Client.ID, got.SecretHash, in.Secret, true, false},
		{"AWrongSecret", "acme", in.Client.ID, got.SecretHash, in.Secret + "x", false, false},
		{"NoSecret", "acme", in.Client.ID, got.SecretHash, "", false, false},
		{"AnotherClientsID", "acme", other.Client.ID, got.SecretHash, in.Secret, false, false},
		{"AnotherRealm", "beta", in.Client.ID, got.SecretHash, in.Secret, false, false},
		{"NoVerifier", "acme", in.Client.ID, nil, in.Secret, false, false},
		{"ATruncatedVerifier", "acme", in.Client.ID, got.SecretHash[:len(got.SecretHash)-1], in.Secret, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			match, stale := h.Store.MatchSecret(tt.realm, tt.id, tt.hash, tt.secret)
			if match != tt.match || stale != tt.stale {
				t.Fatalf("MatchSecret = %v, %v; want %v, %v", match, stale, tt.match, tt.stale)
			}
		})
	}
	pub := mustCreate(t, h.Store, public("acme", "spa"))
	if got, _ := h.Store.Get(ctx(t), "acme", pub.Client.ID); got.SecretHash != nil {
		t.Fatalf("a client without a secret has a verifier %x", got.SecretHash)
	}
}

// testUpdateRecomputesVerifier: a changed secret gets its own verifier
// (returned by Update and stored), the old secret no longer matches, and a
// removed secret leaves none.
func testUpdateRecomputesVerifier(t *testing.T, h Harness) {
	rec := mustCreate(t, h.Store, record("acme", "web"))
	id := rec.Client.ID
	got, err := h.Store.Update(ctx(t), "acme", id, func(r *clients.Record) ([]iam.Event, error) {
		r.Secret = "the-new-secret"
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stored, _ := h.Store.Get(ctx(t), "acme", id)
	if !bytes.Equal(got.SecretHash, stored.SecretHash) {
		t.Fatalf("Update returned verifier %x, stored %x", got.SecretHash, stored.SecretHash)
	}
	if ok, _ := h.Store.MatchSecret("acme", id, stored.SecretHash, "the-new-secret"); !ok {
		t.Fatal("the new secret does not match its verifier")
	}
	if ok, _ := h.Store.MatchSecret("acme", id, stored.SecretHash, rec.Secret); ok {
		t.Fatal("the old secret matches the new verifier")
	}
	got, err = h.Store.Update(ctx(t), "acme", id, func(r *clients.Record) ([]iam.Event, error) {
		r.Client.PublicClient, r.Secret = true, ""
		return nil, nil
	})
	stored, _ = h.Store.Get(ctx(t), "acme", id)
	if err != nil || got.SecretHash != nil || stored.SecretHash != nil {
		t.Fatalf("verifier after removing the secret: returned %x, stored %x, %v", got.SecretHash, stored.SecretHash, err)
	}
}

func testEvents(t *testing.T, h Harness) {
	rec := record("acme", "web")
	created := event(t, iam.TopicClientCreated, rec.Client)
	if err := h.Store.Create(ctx(t), rec, created); err != nil {
		t.Fatal(err)
	}
	_ = h.Store.Create(ctx(t), record("acme", "web"), event(t, iam.TopicClientCreated, rec.Client)) // conflict
	updated := event(t, iam.TopicClientUpdated, rec.Client)
	if _, err := h.Store.Update(ctx(t), "acme", rec.Client.ID, func(*clients.Record) ([]iam.Event, error) {
		return []iam.Event{updated}, nil
	}); err != nil {
		t.Fatal(err)
	}
	_ = h.Store.Delete(ctx(t), "acme", iam.NewID(), event(t, iam.TopicClientDeleted, rec.Client)) // not found
	deleted := event(t, iam.TopicClientDeleted, rec.Client)
	if err := h.Store.Delete(ctx(t), "acme", rec.Client.ID, deleted); err != nil {
		t.Fatal(err)
	}
	got := h.Events(t)
	want := []iam.Event{created, updated, deleted}
	if len(got) != len(want) {
		t.Fatalf("recorded %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Type != want[i].Type || got[i].Realm != want[i].Realm || got[i].Subject != want[i].Subject {
			t.Fatalf("event %d = %s %s, want %s %s", i, got[i].Type, got[i].ID, want[i].Type, want[i].ID)
		}
	}
}
