package realms_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// fakeGetter returns what its function says and counts calls.
type fakeGetter struct {
	mu    sync.Mutex
	calls int
	get   func(name iam.Realm) (realms.Realm, error)
}

func (f *fakeGetter) Get(_ context.Context, name iam.Realm) (realms.Realm, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	return f.get(name)
}

func TestCachedGetterExpiresAfterTTL(t *testing.T) {
	now := time.Unix(1000, 0)
	f := &fakeGetter{get: func(n iam.Realm) (realms.Realm, error) { return realms.Default(n), nil }}
	c := realms.NewCachedGetter(f, realms.WithTTL(time.Minute), realms.WithCacheClock(func() time.Time { return now }))
	ctx := context.Background()
	for range 3 {
		if _, err := c.Get(ctx, "acme"); err != nil {
			t.Fatal(err)
		}
	}
	if f.calls != 1 {
		t.Fatalf("calls = %d, want 1", f.calls)
	}
	now = now.Add(61 * time.Second)
	_, _ = c.Get(ctx, "acme")
	if f.calls != 2 {
		t.Fatalf("calls after expiry = %d, want 2", f.calls)
	}
}

func TestCachedGetterDoesNotCacheErrors(t *testing.T) {
	f := &fakeGetter{get: func(n iam.Realm) (realms.Realm, error) { return realms.Realm{}, iam.NotFoundf("no") }}
	c := realms.NewCachedGetter(f)
	for range 2 {
		if _, err := c.Get(context.Background(), "acme"); iam.ErrorCode(err) != iam.CodeNotFound {
			t.Fatalf("err = %v", err)
		}
	}
	if f.calls != 2 {
		t.Fatalf("calls = %d: an error was cached", f.calls)
	}
}

func TestCachedGetterDropsLoadsRacingAnInvalidation(t *testing.T) {
	loading, release := make(chan struct{}), make(chan struct{})
	version := "old"
	f := &fakeGetter{get: func(n iam.Realm) (realms.Realm, error) {
		r := realms.Default(n)
		r.DisplayName = version
		if version == "old" {
			close(loading)
			<-release
		}
		return r, nil
	}}
	c := realms.NewCachedGetter(f)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = c.Get(context.Background(), "acme") // reads "old", slowly
	}()
	<-loading
	version = "new"
	c.Invalidate("acme") // the update committed while the old value was in flight
	close(release)
	<-done
	r, _ := c.Get(context.Background(), "acme")
	if r.DisplayName != "new" {
		t.Fatalf("cache kept %q loaded before the invalidation", r.DisplayName)
	}
}

func TestCachedGetterReturnsCopies(t *testing.T) {
	f := &fakeGetter{get: func(n iam.Realm) (realms.Realm, error) {
		r := realms.Default(n)
		r.CORSOrigins = []string{"https://a.test"}
		return r, nil
	}}
	c := realms.NewCachedGetter(f)
	r, _ := c.Get(context.Background(), "acme")
	r, _ = c.Get(context.Background(), "acme")
	r.CORSOrigins[0] = "https://evil.test"
	again, _ := c.Get(context.Background(), "acme")
	if again.CORSOrigins[0] != "https://a.test" {
		t.Fatal("cached value shared with a caller")
	}
	c.InvalidateAll()
	_, _ = c.Get(context.Background(), "acme")
	if f.calls != 2 {
		t.Fatalf("calls = %d after InvalidateAll, want 2", f.calls)
	}
}
