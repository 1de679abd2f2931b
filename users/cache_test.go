package users_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userstest"
)

// cacheEnv is a Service with WithCache and, over the same store, an
// uncached Service standing for another replica (its writes do not reach
// the cache).
type cacheEnv struct {
	*env
	other *users.Service
	alice users.User
}

func newCacheEnv(t *testing.T, size int) *cacheEnv {
	t.Helper()
	e := &cacheEnv{env: newEnv(t, users.WithCache(0, size))}
	e.other = users.New(e.store, e.realms, users.WithParams(userstest.FastParams))
	var err error
	if e.alice, err = e.svc.Create(context.Background(), "acme", users.User{Username: "alice", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	return e
}

// enabled reads alice through the caching Service.
func (e *cacheEnv) enabled(t *testing.T) bool {
	t.Helper()
	u, err := e.svc.Get(context.Background(), "acme", e.alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	return u.Enabled
}

func disable(t *testing.T, svc *users.Service, id string) {
	t.Helper()
	off := false
	if _, err := svc.Update(context.Background(), "acme", id, users.Patch{Enabled: &off}); err != nil {
		t.Fatal(err)
	}
}

// Changes made through the caching Service are seen by the next Get.
func TestUserCacheSeesItsOwnChangesAtOnce(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(t *testing.T, e *cacheEnv)
		check  func(t *testing.T, u users.User, err error)
	}{
		{"Disabled", func(t *testing.T, e *cacheEnv) { disable(t, e.svc, e.alice.ID) },
			func(t *testing.T, u users.User, err error) {
				if err != nil || u.Enabled {
					t.Fatalf("Get = enabled %v, %v; want disabled", u.Enabled, err)
				}
			}},
		{"Deleted", func(t *testing.T, e *cacheEnv) {
			if err := e.svc.Delete(ctx, "acme", e.alice.ID); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, _ users.User, err error) {
			if !errors.Is(err, iam.ErrNotFound) {
				t.Fatalf("Get = %v, want not found", err)
			}
		}},
		{"RealmDeleted", func(t *testing.T, e *cacheEnv) {
			ev := iam.Event{ID: "0193a000-0000-7000-8000-000000000001", Type: iam.TopicRealmDeleted, Realm: "acme"}
			if err := e.svc.HandleEvent(ctx, ev); err != nil {
				t.Fatal(err)
			}
		}, func(t *testing.T, _ users.User, err error) {
			if !errors.Is(err, iam.ErrNotFound) {
				t.Fatalf("Get = %v, want not found", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCacheEnv(t, 0)
			if !e.enabled(t) { // cached now
				t.Fatal("alice is disabled")
			}
			tt.change(t, e)
			u, err := e.svc.Get(ctx, "acme", e.alice.ID)
			tt.check(t, u, err)
		})
	}
}

// Another replica's change is seen once its event invalidates the user (or
// the realm), or after the TTL; until then the cached user is served.
func TestUserCacheSeesOtherReplicasChangesByInvalidationOrTTL(t *testing.T) {
	tests := []struct {
		name string
		seen func(e *cacheEnv)
	}{
		{"Invalidate", func(e *cacheEnv) { e.svc.Invalidate("acme", e.alice.ID) }},
		{"InvalidateRealm", func(e *cacheEnv) { e.svc.InvalidateRealm("acme") }},
		{"InvalidateAll", func(e *cacheEnv) { e.svc.InvalidateAll() }},
		{"TTL", func(e *cacheEnv) { e.clock.Advance(users.DefaultCacheTTL) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCacheEnv(t, 0)
			if !e.enabled(t) {
				t.Fatal("alice is disabled")
			}
			disable(t, e.other, e.alice.ID)
			if !e.enabled(t) {
				t.Fatal("the cached user was not served: the cache does not cache")
			}
			tt.seen(e)
			if e.enabled(t) {
				t.Fatal("alice is still enabled")
			}
		})
	}
}

// Invalidating a user leaves the other users cached.
func TestUserCacheInvalidatesOnlyTheUser(t *testing.T) {
	e := newCacheEnv(t, 0)
	bob, err := e.svc.Create(context.Background(), "acme", users.User{Username: "bob", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = e.svc.Get(context.Background(), "acme", bob.ID)
	e.svc.Invalidate("acme", e.alice.ID)
	if n := e.svc.CachedUsers(); n != 1 {
		t.Fatalf("%d users cached, want bob only", n)
	}
}

// The cache holds at most its size.
func TestUserCacheIsBounded(t *testing.T) {
	e := newCacheEnv(t, 3)
	ctx := context.Background()
	for i := range 10 {
		u, err := e.svc.Create(ctx, "acme", users.User{Username: fmt.Sprint("user-", i), Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Get(ctx, "acme", u.ID); err != nil {
			t.Fatal(err)
		}
		if n := e.svc.CachedUsers(); n > 3 {
			t.Fatalf("%d users cached, want at most 3", n)
		}
	}
}

// Not-found is not cached, and callers get copies.
func TestUserCacheKeepsNoMissesAndHandsOutCopies(t *testing.T) {
	e := newCacheEnv(t, 0)
	ctx := context.Background()
	if _, err := e.svc.Get(ctx, "acme", "no-such-user"); !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("Get = %v, want not found", err)
	}
	if n := e.svc.CachedUsers(); n != 0 {
		t.Fatalf("%d users cached after a miss, want 0", n)
	}
	u, _ := e.svc.Get(ctx, "acme", e.alice.ID)
	u.RequiredActions = append(u.RequiredActions, "CHANGED")
	again, _ := e.svc.Get(ctx, "acme", e.alice.ID)
	if len(again.RequiredActions) != 0 {
		t.Fatalf("a caller's change reached the cache: %v", again.RequiredActions)
	}
}

// CachedGetter serves a remote users service's answers until invalidated.
func TestCachedGetterServesUntilInvalidated(t *testing.T) {
	e := newCacheEnv(t, 0)
	g := users.NewCachedGetter(e.other, time.Minute, 0)
	ctx := context.Background()
	if _, err := g.Get(ctx, "acme", e.alice.ID); err != nil {
		t.Fatal(err)
	}
	disable(t, e.other, e.alice.ID)
	if u, _ := g.Get(ctx, "acme", e.alice.ID); !u.Enabled {
		t.Fatal("the cached user was not served")
	}
	g.Invalidate("acme", e.alice.ID)
	if u, _ := g.Get(ctx, "acme", e.alice.ID); u.Enabled {
		t.Fatal("alice is still enabled after Invalidate")
	}
	if g.Len() != 1 {
		t.Fatalf("Len = %d, want 1", g.Len())
	}
}
