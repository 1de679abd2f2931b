package rbac_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// fakeResolver answers with roles of its function and counts calls per
// realm/user.
type fakeResolver struct {
	mu    sync.Mutex
	calls map[string]int
	fn    func(ctx context.Context, realm iam.Realm, userID string) ([]string, map[string][]string, error)
}

func newFakeResolver(fn func(ctx context.Context, realm iam.Realm, userID string) ([]string, map[string][]string, error)) *fakeResolver {
	return &fakeResolver{calls: map[string]int{}, fn: fn}
}

func (f *fakeResolver) EffectiveRoles(ctx context.Context, realm iam.Realm, userID string) ([]string, map[string][]string, error) {
	f.mu.Lock()
	f.calls[string(realm)+"/"+userID]++
	f.mu.Unlock()
	return f.fn(ctx, realm, userID)
}

// ScopeRoleNames answers fn's roles for "scope:"+clientUUID, counted
// under realm/scope:clientUUID.
func (f *fakeResolver) ScopeRoleNames(ctx context.Context, realm iam.Realm, clientUUID string) ([]string, map[string][]string, error) {
	return f.EffectiveRoles(ctx, realm, "scope:"+clientUUID)
}

func (f *fakeResolver) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[key]
}

func (f *fakeResolver) total() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		n += c
	}
	return n
}

// rolesOf answers a role named after the realm and user, and a client role.
func rolesOf(_ context.Context, realm iam.Realm, userID string) ([]string, map[string][]string, error) {
	return []string{string(realm) + "-" + userID}, map[string][]string{"app": {"reader"}}, nil
}

// read calls EffectiveRoles and fails the test on an error.
func read(t *testing.T, r rbac.RoleResolver, realm iam.Realm, userID string) ([]string, map[string][]string) {
	t.Helper()
	rr, cr, err := r.EffectiveRoles(context.Background(), realm, userID)
	if err != nil {
		t.Fatalf("EffectiveRoles(%s, %s): %v", realm, userID, err)
	}
	return rr, cr
}

func TestCachedResolverAnswersRepeatedCallsFromMemory(t *testing.T) {
	f := newFakeResolver(rolesOf)
	c := rbac.NewCachedResolver(f)
	for range 3 {
		rr, cr := read(t, c, "acme", "u1")
		if !slices.Equal(rr, []string{"acme-u1"}) || !slices.Equal(cr["app"], []string{"reader"}) {
			t.Fatalf("roles = %v %v", rr, cr)
		}
	}
	read(t, c, "other", "u1") // same user id in another realm: another entry
	if got := read2(t, c, "other", "u1"); got != "other-u1" {
		t.Fatalf("other realm's answer = %q", got)
	}
	if f.count("acme/u1") != 1 || f.count("other/u1") != 1 {
		t.Fatalf("calls = %v, want one per realm and user", f.calls)
	}
}

// read2 returns the first realm role of userID.
func read2(t *testing.T, r rbac.RoleResolver, realm iam.Realm, userID string) string {
	t.Helper()
	rr, _ := read(t, r, realm, userID)
	return rr[0]
}

func TestCachedResolverInvalidation(t *testing.T) {
	tests := []struct {
		name       string
		invalidate func(c *rbac.CachedResolver)
		reloaded   []string // realm/user entries loaded again; the others stay cached
	}{
		{"InvalidateUserDropsOnlyThatUserOfThatRealm", func(c *rbac.CachedResolver) { c.InvalidateUser("acme", "u1") }, []string{"acme/u1"}},
		{"InvalidateUserOfAServiceAccount", func(c *rbac.CachedResolver) { c.InvalidateUser("acme", "service-account-c1") }, []string{"acme/service-account-c1"}},
		{"InvalidateRealmDropsOnlyThatRealm", func(c *rbac.CachedResolver) { c.InvalidateRealm("acme") }, []string{"acme/u1", "acme/u2", "acme/service-account-c1"}},
		{"InvalidateAllDropsEverything", func(c *rbac.CachedResolver) { c.InvalidateAll() }, []string{"acme/u1", "acme/u2", "acme/service-account-c1", "other/u1"}},
		{"UnknownKeysAreNoError", func(c *rbac.CachedResolver) { c.InvalidateUser("nowhere", "x"); c.InvalidateRealm("nowhere") }, nil},
	}
	keys := []struct {
		realm iam.Realm
		user  string
	}{{"acme", "u1"}, {"acme", "u2"}, {"acme", "service-account-c1"}, {"other", "u1"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeResolver(rolesOf)
			c := rbac.NewCachedResolver(f)
			for _, k := range keys {
				read(t, c, k.realm, k.user)
			}
			tt.invalidate(c)
			for _, k := range keys {
				read(t, c, k.realm, k.user)
			}
			for _, k := range keys {
				key := string(k.realm) + "/" + k.user
				want := 1
				if slices.Contains(tt.reloaded, key) {
					want = 2
				}
				if got := f.count(key); got != want {
					t.Errorf("%s loaded %d times, want %d", key, got, want)
				}
			}
		})
	}
}

func TestCachedResolverExpiresAfterTTL(t *testing.T) {
	now := time.Unix(1000, 0)
	f := newFakeResolver(rolesOf)
	c := rbac.NewCachedResolver(f, rbac.WithCacheTTL(time.Minute), rbac.WithCacheClock(func() time.Time { return now }))
	read(t, c, "acme", "u1")
	now = now.Add(59 * time.Second)
	read(t, c, "acme", "u1")
	if f.count("acme/u1") != 1 {
		t.Fatalf("loaded %d times within the TTL, want 1", f.count("acme/u1"))
	}
	now = now.Add(2 * time.Second)
	read(t, c, "acme", "u1")
	if f.count("acme/u1") != 2 {
		t.Fatalf("loaded %d times after the TTL, want 2", f.count("acme/u1"))
	}
}

func TestCachedResolverDefaultTTLIsAMinute(t *testing.T) {
	now := time.Unix(1000, 0)
	f := newFakeResolver(rolesOf)
	c := rbac.NewCachedResolver(f, rbac.WithCacheTTL(0), rbac.WithCacheClock(func() time.Time { return now }))
	read(t, c, "acme", "u1")
	now = now.Add(rbac.DefaultRolesCacheTTL - time.Second)
	read(t, c, "acme", "u1")
	now = now.Add(2 * time.Second)
	read(t, c, "acme", "u1")
	if f.count("acme/u1") != 2 {
		t.Fatalf("loaded %d times, want 2 (one before, one after DefaultRolesCacheTTL)", f.count("acme/u1"))
	}
}

func TestCachedResolverIsBounded(t *testing.T) {
	const size, users = 3, 10
	f := newFakeResolver(rolesOf)
	c := rbac.NewCachedResolver(f, rbac.WithCacheSize(size))
	for i := range users {
		read(t, c, "acme", fmt.Sprint("u", i))
		if c.Len() > size {
			t.Fatalf("Len = %d after %d users, want at most %d", c.Len(), i+1, size)
		}
	}
	if c.Len() != size {
		t.Fatalf("Len = %d, want %d", c.Len(), size)
	}
	before := f.total()
	for i := range users {
		read(t, c, "acme", fmt.Sprint("u", i))
	}
	if reloaded := f.total() - before; reloaded < users-size {
		t.Fatalf("%d of %d users were loaded again, want at least %d (the cache holds %d)", reloaded, users, users-size, size)
	}
}

func TestCachedResolverReturnsCopies(t *testing.T) {
	f := newFakeResolver(rolesOf)
	c := rbac.NewCachedResolver(f)
	tamper := func(rr []string, cr map[string][]string) {
		rr[0] = "tampered"
		cr["app"][0] = "tampered"
		cr["evil"] = []string{"admin"}
		delete(cr, "app")
	}
	tamper(read(t, c, "acme", "u1")) // the caller that loaded
	tamper(read(t, c, "acme", "u1")) // a caller served from the cache
	rr, cr := read(t, c, "acme", "u1")
	if !slices.Equal(rr, []string{"acme-u1"}) || len(cr) != 1 || !slices.Equal(cr["app"], []string{"reader"}) {
		t.Fatalf("cached value changed by a caller: %v %v", rr, cr)
	}
	if f.count("acme/u1") != 1 {
		t.Fatalf("loaded %d times, want 1", f.count("acme/u1"))
	}
}

func TestCachedResolverAnswersNoRolesWithEmptyValues(t *testing.T) {
	f := newFakeResolver(func(context.Context, iam.Realm, string) ([]string, map[string][]string, error) {
		return []string{}, map[string][]string{}, nil
	})
	c := rbac.NewCachedResolver(f)
	for range 2 {
		rr, cr := read(t, c, "acme", "nobody")
		if rr == nil || cr == nil || len(rr) != 0 || len(cr) != 0 {
			t.Fatalf("roles = %#v %#v, want empty and non-nil", rr, cr)
		}
	}
}

func TestCachedResolverDoesNotCacheErrors(t *testing.T) {
	f := newFakeResolver(func(context.Context, iam.Realm, string) ([]string, map[string][]string, error) {
		return nil, nil, &iam.Error{Code: iam.CodeUnavailable, Message: "rbac service unavailable"}
	})
	c := rbac.NewCachedResolver(f)
	for range 2 {
		if _, _, err := c.EffectiveRoles(context.Background(), "acme", "u1"); iam.ErrorCode(err) != iam.CodeUnavailable {
			t.Fatalf("err = %v, want the next resolver's error", err)
		}
	}
	if f.count("acme/u1") != 2 || c.Len() != 0 {
		t.Fatalf("calls = %d, Len = %d: an error was cached", f.count("acme/u1"), c.Len())
	}
}

// blockingResolver answers "old" from a first call that waits for release,
// and version afterwards.
type blockingResolver struct {
	loading, release chan struct{}
	mu               sync.Mutex
	version          string
	calls            int
}

func newBlockingResolver() *blockingResolver {
	return &blockingResolver{loading: make(chan struct{}), release: make(chan struct{}), version: "old"}
}

func (b *blockingResolver) EffectiveRoles(ctx context.Context, realm iam.Realm, userID string) ([]string, map[string][]string, error) {
	b.mu.Lock()
	b.calls++
	first, v := b.calls == 1, b.version
	b.mu.Unlock()
	if first {
		close(b.loading)
		<-b.release
	}
	return []string{v}, map[string][]string{}, nil
}

func (b *blockingResolver) ScopeRoleNames(ctx context.Context, realm iam.Realm, clientUUID string) ([]string, map[string][]string, error) {
	return nil, nil, nil
}

func (b *blockingResolver) set(v string) {
	b.mu.Lock()
	b.version = v
	b.mu.Unlock()
}

func TestCachedResolverDropsLoadsRacingAnInvalidation(t *testing.T) {
	tests := []struct {
		name       string
		invalidate func(c *rbac.CachedResolver)
	}{
		{"InvalidateUser", func(c *rbac.CachedResolver) { c.InvalidateUser("acme", "u1") }},
		{"InvalidateRealm", func(c *rbac.CachedResolver) { c.InvalidateRealm("acme") }},
		{"InvalidateAll", func(c *rbac.CachedResolver) { c.InvalidateAll() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newBlockingResolver()
			c := rbac.NewCachedResolver(b)
			done := make(chan []string)
			go func() {
				rr, _, _ := c.EffectiveRoles(context.Background(), "acme", "u1") // reads "old", slowly
				done <- rr
			}()
			<-b.loading
			b.set("new")
			tt.invalidate(c) // the change committed while "old" was in flight
			after := make(chan []string, 1)
			go func() {
				rr, _, _ := c.EffectiveRoles(context.Background(), "acme", "u1")
				after <- rr
			}()
			select {
			case rr := <-after:
				if !slices.Equal(rr, []string{"new"}) {
					t.Errorf("a call after the invalidation got %v", rr)
				}
			case <-time.After(10 * time.Second):
				t.Error("a call after the invalidation waits for the load started before it")
			}
			close(b.release)
			if rr := <-done; !slices.Equal(rr, []string{"old"}) {
				t.Fatalf("the slow call got %v", rr)
			}
			if got := read2(t, c, "acme", "u1"); got != "new" {
				t.Fatalf("the cache kept %q, loaded before the invalidation", got)
			}
		})
	}
}

func TestCachedResolverSharesConcurrentLoads(t *testing.T) {
	b := newBlockingResolver()
	c := rbac.NewCachedResolver(b)
	const callers = 8
	results := make(chan []string, callers)
	go func() {
		rr, _, _ := c.EffectiveRoles(context.Background(), "acme", "u1")
		results <- rr
	}()
	<-b.loading // the first load is in flight: the others join it
	var started sync.WaitGroup
	for range callers - 1 {
		started.Add(1)
		go func() {
			started.Done()
			rr, _, _ := c.EffectiveRoles(context.Background(), "acme", "u1")
			results <- rr
		}()
	}
	// Callers arriving after the load would be served from the cache, and
	// must not load either; the pause makes joining the load in flight the
	// likely case (there is no timed assertion).
	started.Wait()
	time.Sleep(20 * time.Millisecond)
	close(b.release)
	for range callers {
		if rr := <-results; !slices.Equal(rr, []string{"old"}) {
			t.Fatalf("a caller got %v", rr)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.calls != 1 {
		t.Fatalf("%d loads for %d concurrent callers, want 1", b.calls, callers)
	}
}

func TestCachedResolverWaiterKeepsItsOwnContext(t *testing.T) {
	b := newBlockingResolver()
	c := rbac.NewCachedResolver(b)
	go func() { _, _, _ = c.EffectiveRoles(context.Background(), "acme", "u1") }()
	<-b.loading
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := c.EffectiveRoles(ctx, "acme", "u1"); iam.ErrorCode(err) != iam.CodeUnavailable || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want unavailable wrapping context.Canceled", err)
	}
	close(b.release)
}

func TestCachedResolverWaiterLoadsItselfWhenTheSharedLoadFails(t *testing.T) {
	loading, release := make(chan struct{}), make(chan struct{})
	calls := 0
	var mu sync.Mutex
	f := newFakeResolver(func(ctx context.Context, realm iam.Realm, userID string) ([]string, map[string][]string, error) {
		mu.Lock()
		calls++
		first := calls == 1
		mu.Unlock()
		if first { // the first caller's request ends while it loads
			close(loading)
			<-release
			return nil, nil, &iam.Error{Code: iam.CodeUnavailable, Message: "request ended", Err: context.Canceled}
		}
		return rolesOf(ctx, realm, userID)
	})
	c := rbac.NewCachedResolver(f)
	go func() { _, _, _ = c.EffectiveRoles(context.Background(), "acme", "u1") }()
	<-loading
	got := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		close(started)
		rr, _, err := c.EffectiveRoles(context.Background(), "acme", "u1")
		if err == nil && !slices.Equal(rr, []string{"acme-u1"}) {
			err = fmt.Errorf("roles = %v", rr)
		}
		got <- err
	}()
	// The answer must be right whether the second caller joined the failing
	// load or came after it; the pause makes joining the likely case (it
	// decides nothing else: there is no timed assertion).
	<-started
	time.Sleep(20 * time.Millisecond)
	close(release)
	if err := <-got; err != nil {
		t.Fatalf("the second caller: %v", err)
	}
}

// fakePaths answers group paths of its function and counts calls.
type fakePaths struct {
	mu    sync.Mutex
	calls int
	fn    func(realm iam.Realm, userID string) ([]string, error)
}

func (f *fakePaths) UserGroupPaths(_ context.Context, realm iam.Realm, userID string) ([]string, error) {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	return f.fn(realm, userID)
}

func (f *fakePaths) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func TestCachedResolverCachesGroupPaths(t *testing.T) {
	ctx := context.Background()
	roles := newFakeResolver(rolesOf)
	paths := &fakePaths{fn: func(realm iam.Realm, userID string) ([]string, error) {
		return []string{"/" + string(realm) + "/" + userID}, nil
	}}
	c := rbac.NewCachedResolver(roles, rbac.WithGroupPaths(paths))
	get := func(realm iam.Realm, userID string) []string {
		t.Helper()
		p, err := c.UserGroupPaths(ctx, realm, userID)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for range 3 {
		if got := get("acme", "u1"); !slices.Equal(got, []string{"/acme/u1"}) {
			t.Fatalf("paths = %v", got)
		}
	}
	if paths.count() != 1 || roles.total() != 0 {
		t.Fatalf("group reads = %d, role reads = %d; want 1 and 0", paths.count(), roles.total())
	}
	// Invalidations drop the paths with the roles.
	for i, invalidate := range []func(){
		func() { c.InvalidateUser("acme", "u1") },
		func() { c.InvalidateRealm("acme") },
		func() { c.InvalidateAll() },
	} {
		invalidate()
		get("acme", "u1")
		if paths.count() != i+2 {
			t.Fatalf("invalidation %d did not drop the cached paths", i)
		}
	}
	// Errors are not cached.
	down := &fakePaths{fn: func(iam.Realm, string) ([]string, error) { return nil, iam.Errorf(iam.CodeUnavailable, "down") }}
	c = rbac.NewCachedResolver(roles, rbac.WithGroupPaths(down))
	for range 2 {
		if _, err := c.UserGroupPaths(ctx, "acme", "u1"); iam.ErrorCode(err) != iam.CodeUnavailable {
			t.Fatalf("err = %v", err)
		}
	}
	if down.count() != 2 {
		t.Fatalf("a failed read was cached: %d reads", down.count())
	}
	// Without WithGroupPaths there are none to serve.
	if _, err := rbac.NewCachedResolver(roles).UserGroupPaths(ctx, "acme", "u1"); iam.ErrorCode(err) != iam.CodeInternal {
		t.Fatalf("without WithGroupPaths: %v", err)
	}
}

// A client's scope is cached beside the subjects, under its own key: a
// subject whose id is the client's UUID is another entry, and an
// invalidation of the realm (scope_mapping.changed) drops the scope.
func TestCachedResolverCachesScopesApart(t *testing.T) {
	f := newFakeResolver(func(_ context.Context, _ iam.Realm, userID string) ([]string, map[string][]string, error) {
		return []string{userID}, nil, nil
	})
	c := rbac.NewCachedResolver(f)
	ctx := context.Background()
	for range 2 {
		rr, _, err := c.ScopeRoleNames(ctx, "acme", "c-1")
		if err != nil || len(rr) != 1 || rr[0] != "scope:c-1" {
			t.Fatalf("ScopeRoleNames = %v, %v", rr, err)
		}
		rr, _, err = c.EffectiveRoles(ctx, "acme", "c-1")
		if err != nil || len(rr) != 1 || rr[0] != "c-1" {
			t.Fatalf("EffectiveRoles of a subject named as the client = %v, %v", rr, err)
		}
	}
	if n := f.count("acme/scope:c-1"); n != 1 {
		t.Fatalf("scope loaded %d times, want once", n)
	}
	c.InvalidateRealm("acme")
	if _, _, err := c.ScopeRoleNames(ctx, "acme", "c-1"); err != nil {
		t.Fatal(err)
	}
	if n := f.count("acme/scope:c-1"); n != 2 {
		t.Fatalf("scope loaded %d times after the realm's invalidation, want twice", n)
	}
}
