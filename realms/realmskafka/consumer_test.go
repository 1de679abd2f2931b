package realmskafka_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/realms/realmsmem"
)

// recording wraps an Invalidator and signals each call.
type recording struct {
	realmskafka.Invalidator
	mu    sync.Mutex
	names []iam.Realm
	seen  chan iam.Realm
}

func (r *recording) Invalidate(name iam.Realm) {
	r.Invalidator.Invalidate(name)
	r.mu.Lock()
	r.names = append(r.names, name)
	r.mu.Unlock()
	r.seen <- name
}

// TestUpdateFromAnotherReplicaReachesTheCache runs two services over one
// store (two replicas of realm-service) and checks that an update through
// one invalidates the other's cache through the bus.
func TestUpdateFromAnotherReplicaReachesTheCache(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bus := iambus.New(iambus.WithBackoff(time.Millisecond, 5*time.Millisecond))
	t.Cleanup(func() { _ = bus.Close() })
	store := realmsmem.New(bus)
	writer, reader := realms.New(store), realms.New(store)

	group := realmskafka.CacheGroup("realm-service", "replica-2")
	if err := bus.Declare(group, realmskafka.Topics()...); err != nil {
		t.Fatal(err)
	}
	rec := &recording{Invalidator: reader, seen: make(chan iam.Realm, 10)}
	done := make(chan error, 1)
	go func() { done <- realmskafka.RunCacheInvalidation(ctx, bus, group, rec) }()

	if _, err := writer.Create(ctx, realms.Realm{Name: "acme", DisplayName: "Old"}); err != nil {
		t.Fatal(err)
	}
	if r, _ := reader.Get(ctx, "acme"); r.DisplayName != "Old" { // cached now
		t.Fatalf("reader = %q", r.DisplayName)
	}
	name := "New"
	if _, err := writer.Update(ctx, "acme", realms.Update{DisplayName: &name}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, rec.seen, "acme")
	if r, _ := reader.Get(ctx, "acme"); r.DisplayName != "New" {
		t.Fatalf("reader after realm.updated = %q", r.DisplayName)
	}
	if err := writer.Delete(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, rec.seen, "acme")
	if _, err := reader.Get(ctx, "acme"); iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("reader after realm.deleted = %v", err)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("RunCacheInvalidation returned %v", err)
	}
}

func waitFor(t *testing.T, ch <-chan iam.Realm, want iam.Realm) {
	t.Helper()
	select {
	case got := <-ch:
		if got != want {
			t.Fatalf("invalidated %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no invalidation of %q", want)
	}
}

func TestHandlerIgnoresOtherTopics(t *testing.T) {
	rec := &recording{Invalidator: realms.NewCachedGetter(nil), seen: make(chan iam.Realm, 10)}
	h := realmskafka.Handler(rec)
	for _, topic := range []string{iam.TopicRealmCreated, iam.TopicUserCreated, iam.TopicRealmUpdated} {
		e, _ := iam.NewEvent(realms.Source, topic, "acme", "acme", nil)
		if err := h(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if len(rec.names) != 1 {
		t.Fatalf("invalidations = %v, want only realm.updated's", rec.names)
	}
}
