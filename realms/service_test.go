package realms_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmsmem"
)

// countingStore counts Get calls that reach the store.
type countingStore struct {
	realms.Store
	mu   sync.Mutex
	gets int
}

func (s *countingStore) Get(ctx context.Context, name iam.Realm) (realms.Realm, error) {
	s.mu.Lock()
	s.gets++
	s.mu.Unlock()
	return s.Store.Get(ctx, name)
}

func (s *countingStore) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gets
}

func newService(t *testing.T) (*realms.Service, *countingStore, *iamtest.Recorder) {
	t.Helper()
	rec := iamtest.NewRecorder()
	store := &countingStore{Store: realmsmem.New(rec)}
	return realms.New(store), store, rec
}

func TestCreateAppliesDefaultsAndRecordsEvent(t *testing.T) {
	svc, _, rec := newService(t)
	ctx := context.Background()
	r, err := svc.Create(ctx, realms.Realm{Name: "acme", Enabled: true, AccessTokenLifespan: 10 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if r.AccessTokenLifespan != 10*time.Minute || r.SSOSessionIdleTimeout != realms.DefaultSSOSessionIdleTimeout ||
		r.SigningAlgorithm != realms.AlgRS256 || r.CreatedAt.IsZero() || !r.CreatedAt.Equal(r.UpdatedAt) {
		t.Fatalf("created = %+v", r)
	}
	events := rec.Events(t)
	if len(events) != 1 || events[0].Type != iam.TopicRealmCreated || events[0].Realm != "acme" || events[0].Subject != "acme" {
		t.Fatalf("events = %+v", events)
	}
	var data realms.CreatedEvent
	if err := events[0].Decode(&data); err != nil || data.Name != "acme" || !data.Enabled || data.ID != r.ID {
		t.Fatalf("event data = %+v, %v", data, err)
	}
}

func TestARealmCreatedAgainUnderItsNameGetsAnotherID(t *testing.T) {
	svc, _, rec := newService(t)
	ctx := context.Background()
	first, err := svc.Create(ctx, realms.Realm{Name: "acme", ID: "chosen-by-caller"})
	if err != nil {
		t.Fatal(err)
	}
	if first.ID == "" || first.ID == "chosen-by-caller" {
		t.Fatalf("ID = %q, want one assigned by Create", first.ID)
	}
	if got, _ := svc.Get(ctx, "acme"); got.ID != first.ID {
		t.Fatalf("Get ID = %q, want %q", got.ID, first.ID)
	}
	name := "Renamed"
	if updated, err := svc.Update(ctx, "acme", realms.Update{DisplayName: &name}); err != nil || updated.ID != first.ID {
		t.Fatalf("Update = %q, %v; the ID must not change", updated.ID, err)
	}
	if err := svc.Delete(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	second, err := svc.Create(ctx, realms.Realm{Name: "acme"})
	if err != nil {
		t.Fatal(err)
	}
	if second.ID == "" || second.ID == first.ID {
		t.Fatalf("re-created realm ID = %q, first was %q", second.ID, first.ID)
	}
	var deleted realms.DeletedEvent
	for _, e := range rec.Events(t) {
		if e.Type == iam.TopicRealmDeleted {
			if err := e.Decode(&deleted); err != nil {
				t.Fatal(err)
			}
		}
	}
	if deleted.Name != "acme" || deleted.ID != first.ID {
		t.Fatalf("realm.deleted data = %+v, want the deleted realm's ID %q", deleted, first.ID)
	}
}

func TestCreateRejects(t *testing.T) {
	svc, _, rec := newService(t)
	ctx := context.Background()
	if _, err := svc.Create(ctx, realms.Realm{Name: "acme", MFA: "maybe"}); iam.ErrorField(err) != "mfaPolicy" {
		t.Fatalf("err = %v", err)
	}
	if _, err := svc.Create(ctx, realms.Realm{Name: "acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Create(ctx, realms.Realm{Name: "acme"}); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("duplicate err = %v", err)
	}
	if n := len(rec.Events(t)); n != 1 {
		t.Fatalf("%d events, want 1 (failed creates record none)", n)
	}
}

func TestUpdateIsPartial(t *testing.T) {
	svc, _, rec := newService(t)
	ctx := context.Background()
	created, err := svc.Create(ctx, realms.Realm{Name: "acme", DisplayName: "Acme", Enabled: true,
		SMTP: realms.SMTP{Host: "mx", From: "a@acme.test", User: "u", Password: "secret"}})
	if err != nil {
		t.Fatal(err)
	}
	life := 15 * time.Minute
	mfa := realms.MFARequired
	got, err := svc.Update(ctx, "acme", realms.Update{AccessTokenLifespan: &life, MFA: &mfa,
		SMTP: &realms.SMTP{Host: "mx2", From: "b@acme.test", User: "u", Password: realms.SecretMask}})
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != "Acme" || !got.Enabled || got.AccessTokenLifespan != life || got.MFA != mfa {
		t.Fatalf("updated = %+v", got)
	}
	if got.SMTP.Host != "mx2" || got.SMTP.Password != "secret" {
		t.Fatalf("SMTP = %+v, want new host and the kept password", got.SMTP)
	}
	if !got.UpdatedAt.After(created.UpdatedAt) && !got.UpdatedAt.Equal(created.UpdatedAt) || !got.CreatedAt.Equal(created.CreatedAt) {
		t.Fatalf("timestamps %v %v", got.CreatedAt, got.UpdatedAt)
	}
	events := rec.Events(t)
	if len(events) != 2 || events[1].Type != iam.TopicRealmUpdated {
		t.Fatalf("events = %+v", events)
	}
}

func TestUpdateInvalidChangesNothing(t *testing.T) {
	svc, _, rec := newService(t)
	ctx := context.Background()
	if _, err := svc.Create(ctx, realms.Realm{Name: "acme", DisplayName: "Acme"}); err != nil {
		t.Fatal(err)
	}
	name, bad := "New", time.Duration(-1)
	_, err := svc.Update(ctx, "acme", realms.Update{DisplayName: &name, AccessCodeLifespan: &bad})
	if iam.ErrorField(err) != "accessCodeLifespan" {
		t.Fatalf("err = %v", err)
	}
	r, _ := svc.Get(ctx, "acme")
	if r.DisplayName != "Acme" {
		t.Fatalf("invalid update applied: %q", r.DisplayName)
	}
	if _, err := svc.Update(ctx, "nope", realms.Update{DisplayName: &name}); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("missing err = %v", err)
	}
	if n := len(rec.Events(t)); n != 1 {
		t.Fatalf("%d events, want only realm.created", n)
	}
}

func TestDeleteRefusesMaster(t *testing.T) {
	svc, _, _ := newService(t)
	ctx := context.Background()
	if _, err := svc.EnsureMaster(ctx); err != nil {
		t.Fatal(err)
	}
	err := svc.Delete(ctx, iam.MasterRealm)
	if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "realm" {
		t.Fatalf("err = %v", err)
	}
	if _, err := svc.Get(ctx, iam.MasterRealm); err != nil {
		t.Fatalf("master gone: %v", err)
	}
}

func TestDeleteRecordsEventAndDropsCache(t *testing.T) {
	svc, _, rec := newService(t)
	ctx := context.Background()
	if _, err := svc.Create(ctx, realms.Realm{Name: "acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Get(ctx, "acme"); err != nil { // cache it
		t.Fatal(err)
	}
	if err := svc.Delete(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Get(ctx, "acme"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("Get after delete = %v", err)
	}
	if err := svc.Delete(ctx, "acme"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("second delete = %v", err)
	}
	events := rec.Events(t)
	if len(events) != 2 || events[1].Type != iam.TopicRealmDeleted || events[1].Realm != "acme" {
		t.Fatalf("events = %+v", events)
	}
}

func TestEnsureMasterIsIdempotent(t *testing.T) {
	svc, _, rec := newService(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := svc.EnsureMaster(ctx)
			if err != nil || r.Name != iam.MasterRealm {
				t.Errorf("EnsureMaster = %+v, %v", r.Name, err)
			}
		}()
	}
	wg.Wait()
	list, _ := svc.List(ctx)
	if len(list) != 1 || list[0].Name != iam.MasterRealm || !list[0].Enabled {
		t.Fatalf("realms = %+v", list)
	}
	if n := len(rec.Events(t)); n != 1 {
		t.Fatalf("%d realm.created events, want 1", n)
	}
}

func TestGetIsCachedAndInvalidated(t *testing.T) {
	svc, store, _ := newService(t)
	ctx := context.Background()
	if _, err := svc.Create(ctx, realms.Realm{Name: "acme", DisplayName: "Acme"}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := svc.Get(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
	}
	if n := store.count(); n != 1 {
		t.Fatalf("store reached %d times for 3 Gets, want 1", n)
	}
	name := "Changed"
	if _, err := svc.Update(ctx, "acme", realms.Update{DisplayName: &name}); err != nil {
		t.Fatal(err)
	}
	r, _ := svc.Get(ctx, "acme")
	if r.DisplayName != "Changed" {
		t.Fatalf("Get after Update = %q: cache not invalidated", r.DisplayName)
	}
	// A change made by another replica reaches this one through Invalidate.
	if _, err := store.Update(ctx, "acme", func(r *realms.Realm) ([]iam.Event, error) {
		r.DisplayName = "Elsewhere"
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if r, _ := svc.Get(ctx, "acme"); r.DisplayName != "Changed" {
		t.Fatalf("cache bypassed: %q", r.DisplayName)
	}
	svc.Invalidate("acme")
	if r, _ := svc.Get(ctx, "acme"); r.DisplayName != "Elsewhere" {
		t.Fatalf("Get after Invalidate = %q", r.DisplayName)
	}
}

func TestGetRejectsMalformedName(t *testing.T) {
	svc, store, _ := newService(t)
	if _, err := svc.Get(context.Background(), "../etc"); iam.ErrorField(err) != "realm" {
		t.Fatalf("err = %v", err)
	}
	if store.count() != 0 {
		t.Fatal("malformed name reached the store")
	}
}
