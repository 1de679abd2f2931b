package rbactest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbackafka"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// cacheTests check rbac.WithEffectiveRolesCache over the Store: every change
// made through the Service is visible to the next EffectiveRoles call, and
// the cache does cache (the Store is not asked again), is bounded, expires
// and hands out copies.
var cacheTests = []struct {
	name string
	size int // of the cache; 0: the default
	fn   func(t *testing.T, f *cacheFixture)
}{
	{"RepeatedReadsDoNotReachTheStore", 0, testCacheHits},
	{"MappingChangesAreVisibleImmediately", 0, testCacheMappingChanges},
	{"RoleGraphChangesAreVisibleImmediately", 0, testCacheGraphChanges},
	{"ConsumedEventsAreVisibleImmediately", 0, testCacheConsumedEvents},
	{"AnotherReplicasChangesArriveByEvents", 0, testCacheOtherReplica},
	{"ExpiresAfterTTL", 0, testCacheTTL},
	{"IsBounded", boundedSize, testCacheBounded},
	{"ReturnsCopies", 0, testCacheCopies},
	{"ConcurrentReadsNeverHideACompletedChange", 0, testCacheConcurrent},
}

// boundedSize is the cache size of the IsBounded test.
const boundedSize = 3

// cacheTTL is the TTL of the fixture's cache; its clock moves only when a
// test says so.
const cacheTTL = time.Minute

// cacheFixture is a fixture whose Service caches effective roles over a
// Store that counts the loads reaching it.
type cacheFixture struct {
	*fixture
	store *countingStore

	mu  sync.Mutex
	now time.Time
}

func newCacheFixture(t *testing.T, h Harness, size int) *cacheFixture {
	cs := &countingStore{Store: h.Store, loads: map[string]int{}}
	f := &cacheFixture{store: cs, now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	svc := rbac.New(cs, rbac.WithEffectiveRolesCache(cacheTTL, size), rbac.WithClock(f.clock))
	f.fixture = &fixture{t: t, h: h, st: h.Store, svc: svc, ctx: context.Background()}
	return f
}

func (f *cacheFixture) clock() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *cacheFixture) advance(d time.Duration) {
	f.mu.Lock()
	f.now = f.now.Add(d)
	f.mu.Unlock()
}

// countingStore counts the EffectiveRoleNames calls (the cache's loads) per
// realm and user id.
type countingStore struct {
	rbac.Store
	mu    sync.Mutex
	loads map[string]int
}

func (s *countingStore) EffectiveRoleNames(ctx context.Context, realm iam.Realm, p rbac.Principal) ([]string, map[string][]string, error) {
	s.mu.Lock()
	s.loads[string(realm)+"/"+p.UserID()]++
	s.mu.Unlock()
	return s.Store.EffectiveRoleNames(ctx, realm, p)
}

// loaded returns how often the roles of userID of realm were loaded.
func (s *countingStore) loaded(realm iam.Realm, userID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.loads[string(realm)+"/"+userID]
}

// total returns the number of loads.
func (s *countingStore) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.loads {
		n += c
	}
	return n
}

// tokenRoles renders effective roles the way tokens carry them, for
// comparisons: realm roles, then "clientId/role", each sorted.
func tokenRoles(realmRoles []string, clientRoles map[string][]string) []string {
	out := slices.Clone(realmRoles)
	for c, names := range clientRoles {
		for _, n := range names {
			out = append(out, c+"/"+n)
		}
	}
	slices.Sort(out)
	return out
}

// roles returns the effective roles of userID as tokenRoles renders them.
func (f *cacheFixture) roles(realm iam.Realm, userID string) []string {
	f.t.Helper()
	return tokenRoles(f.effective(realm, userID))
}

// cached reads userID's roles twice, checks the second read did not reach
// the Store (so the entry is cached), and returns them.
func (f *cacheFixture) cached(realm iam.Realm, userID string) []string {
	f.t.Helper()
	got := f.roles(realm, userID)
	before := f.store.loaded(realm, userID)
	again := f.roles(realm, userID)
	if f.store.loaded(realm, userID) != before {
		f.t.Fatalf("roles of %s were loaded again: the cache is not caching", userID)
	}
	equal(f.t, "cached roles of "+userID, again, got)
	return got
}

func testCacheHits(t *testing.T, f *cacheFixture) {
	r := f.role("acme", "", "r")
	f.grant("acme", "u1", r)
	for range 3 {
		equal(t, "u1", f.roles("acme", "u1"), []string{"r"})
	}
	equal(t, "u2", f.roles("acme", "u2"), nil)
	equal(t, "u2", f.roles("acme", "u2"), nil) // no roles is an answer too
	if f.store.loaded("acme", "u1") != 1 || f.store.loaded("acme", "u2") != 1 {
		t.Fatalf("loads = %v, want one per user", f.store.loads)
	}
}

func testCacheMappingChanges(t *testing.T, f *cacheFixture) {
	tests := []struct {
		name   string
		user   string // holds r1 before the change
		change func(realm iam.Realm, user string, r1, r2 rbac.Role) error
		want   []string
	}{
		{"AddUserRoles", "u1", func(realm iam.Realm, u string, _, r2 rbac.Role) error {
			return f.svc.AddUserRoles(f.ctx, realm, u, r2.ID)
		}, []string{"r1", "r2"}},
		{"RemoveUserRoles", "u1", func(realm iam.Realm, u string, r1, _ rbac.Role) error {
			return f.svc.RemoveUserRoles(f.ctx, realm, u, r1.ID)
		}, nil},
		{"AssignRealmRoles", "u1", func(realm iam.Realm, u string, _, _ rbac.Role) error {
			return f.svc.AssignRealmRoles(f.ctx, realm, u, "r2")
		}, []string{"r1", "r2"}},
		{"AssignDefaultRoles", "u1", func(realm iam.Realm, u string, _, _ rbac.Role) error {
			return f.svc.AssignDefaultRoles(f.ctx, realm, u)
		}, []string{"default-roles-REALM", "offline_access", "r1", "uma_authorization"}},
		{"DeleteUser", "u1", func(realm iam.Realm, u string, _, _ rbac.Role) error {
			return f.svc.DeleteUser(f.ctx, realm, u)
		}, nil},
		{"AddUserRolesToAServiceAccount", iam.ServiceAccountSubject("c-1"), func(realm iam.Realm, u string, _, r2 rbac.Role) error {
			return f.svc.AddUserRoles(f.ctx, realm, u, r2.ID)
		}, []string{"r1", "r2"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			realm := iam.Realm(fmt.Sprintf("mapping-%d", i))
			f.client(realm, "c-1", "app")
			r1, r2 := f.role(realm, "", "r1"), f.role(realm, "", "r2")
			f.grant(realm, tt.user, r1)
			f.grant(realm, "bystander", r1)
			equal(t, "before", f.cached(realm, tt.user), []string{"r1"})
			f.cached(realm, "bystander")
			bystanderLoads := f.store.loaded(realm, "bystander")

			if err := tt.change(realm, tt.user, r1, r2); err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(tt.want)
			for j, w := range want {
				if w == "default-roles-REALM" {
					want[j] = rbac.DefaultRoleName(realm)
				}
			}
			slices.Sort(want)
			equal(t, "after", f.roles(realm, tt.user), want)
			equal(t, "bystander", f.roles(realm, "bystander"), []string{"r1"})
			if f.store.loaded(realm, "bystander") != bystanderLoads {
				t.Fatal("a mapping change of one user dropped another user's cached roles")
			}
		})
	}
}

// testCacheGraphChanges changes the role graph under a user holding
// top ⊃ mid ⊃ leaf (leaf containing the client role app/cr), each change
// affecting every holder of the realm.
func testCacheGraphChanges(t *testing.T, f *cacheFixture) {
	type graph struct{ top, mid, leaf, cr, extra rbac.Role }
	tests := []struct {
		name   string
		change func(realm iam.Realm, g graph) error
		want   []string // of u1 and of c-1's service account
	}{
		{"AddCompositeUnderTheLeaf", func(realm iam.Realm, g graph) error {
			return f.svc.AddComposites(f.ctx, realm, g.leaf.ID, g.extra.ID)
		}, []string{"app/cr", "extra", "leaf", "mid", "top"}},
		{"RemoveLeafFromMid", func(realm iam.Realm, g graph) error {
			return f.svc.RemoveComposites(f.ctx, realm, g.mid.ID, g.leaf.ID)
		}, []string{"mid", "top"}},
		{"RemoveClientRoleFromLeaf", func(realm iam.Realm, g graph) error {
			return f.svc.RemoveComposites(f.ctx, realm, g.leaf.ID, g.cr.ID)
		}, []string{"leaf", "mid", "top"}},
		{"RenameLeaf", func(realm iam.Realm, g graph) error {
			name := "renamed"
			_, err := f.svc.UpdateRole(f.ctx, realm, g.leaf.ID, rbac.RoleUpdate{Name: &name})
			return err
		}, []string{"app/cr", "mid", "renamed", "top"}},
		{"RenameClientRole", func(realm iam.Realm, g graph) error {
			name := "cr2"
			_, err := f.svc.UpdateRole(f.ctx, realm, g.cr.ID, rbac.RoleUpdate{Name: &name})
			return err
		}, []string{"app/cr2", "leaf", "mid", "top"}},
		{"DeleteLeaf", func(realm iam.Realm, g graph) error {
			return f.svc.DeleteRole(f.ctx, realm, g.leaf.ID)
		}, []string{"mid", "top"}},
		{"DeleteClientRole", func(realm iam.Realm, g graph) error {
			return f.svc.DeleteRole(f.ctx, realm, g.cr.ID)
		}, []string{"leaf", "mid", "top"}},
		{"NewClientID", func(realm iam.Realm, g graph) error {
			return f.svc.PutClient(f.ctx, realm, "c-1", "app2")
		}, []string{"app2/cr", "leaf", "mid", "top"}},
		{"DeleteClient", func(realm iam.Realm, g graph) error {
			return f.svc.DeleteClient(f.ctx, realm, "c-1")
		}, []string{"leaf", "mid", "top"}},
		{"DeleteRealm", func(realm iam.Realm, g graph) error {
			return f.svc.DeleteRealm(f.ctx, realm)
		}, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			realm := iam.Realm(fmt.Sprintf("graph-%d", i))
			f.client(realm, "c-1", "app")
			var g graph
			g.cr = f.role(realm, "c-1", "cr")
			g.extra = f.role(realm, "", "extra")
			g.leaf = f.role(realm, "", "leaf", g.cr)
			g.mid = f.role(realm, "", "mid", g.leaf)
			g.top = f.role(realm, "", "top", g.mid)
			f.grant(realm, "u1", g.top)
			f.grant(realm, iam.ServiceAccountSubject("c-1"), g.top)
			before := []string{"app/cr", "leaf", "mid", "top"}
			equal(t, "u1 before", f.cached(realm, "u1"), before)
			equal(t, "service account before", f.cached(realm, iam.ServiceAccountSubject("c-1")), before)

			if err := tt.change(realm, g); err != nil {
				t.Fatal(err)
			}
			equal(t, "u1 after", f.roles(realm, "u1"), tt.want)
			wantSA := tt.want
			if tt.name == "DeleteClient" { // the service account's mappings went with its client
				wantSA = nil
			}
			equal(t, "service account after", f.roles(realm, iam.ServiceAccountSubject("c-1")), wantSA)
		})
	}
}

func testCacheConsumedEvents(t *testing.T, f *cacheFixture) {
	handle := func(e iam.Event) {
		t.Helper()
		if err := f.svc.HandleEvent(f.ctx, e); err != nil {
			t.Fatalf("HandleEvent(%s): %v", e.Type, err)
		}
	}
	if err := f.svc.EnsureRealmDefaults(f.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	f.client("acme", "c-1", "app")
	cr := f.role("acme", "c-1", "cr")
	f.grant("acme", "u2", cr)

	equal(t, "u1 before user.created", f.cached("acme", "u1"), nil)
	handle(event(t, iam.TopicUserCreated, "acme", "u1", users.UserData{ID: "u1", Username: "alice"}))
	equal(t, "u1 after user.created", f.roles("acme", "u1"), []string{"default-roles-acme", "offline_access", "uma_authorization"})

	f.cached("acme", "u1")
	handle(event(t, iam.TopicUserDeleted, "acme", "u1", users.DeletedData{ID: "u1", Username: "alice"}))
	equal(t, "u1 after user.deleted", f.roles("acme", "u1"), nil)

	equal(t, "u2 before client.updated", f.cached("acme", "u2"), []string{"app/cr"})
	handle(event(t, iam.TopicClientUpdated, "acme", "c-1", clients.UpdatedEvent{ID: "c-1", ClientID: "renamed", PreviousClientID: "app"}))
	equal(t, "u2 after client.updated", f.roles("acme", "u2"), []string{"renamed/cr"})

	f.cached("acme", "u2")
	handle(event(t, iam.TopicClientDeleted, "acme", "c-1", clients.DeletedEvent{ID: "c-1", ClientID: "renamed"}))
	equal(t, "u2 after client.deleted", f.roles("acme", "u2"), nil)

	def, err := f.svc.GetRoleByName(f.ctx, "acme", "", "offline_access")
	if err != nil {
		t.Fatal(err)
	}
	f.grant("acme", "u3", def)
	equal(t, "u3 before realm.deleted", f.cached("acme", "u3"), []string{"offline_access"})
	handle(event(t, iam.TopicRealmDeleted, "acme", "acme", realms.DeletedEvent{Name: "acme"}))
	equal(t, "u3 after realm.deleted", f.roles("acme", "u3"), nil)
}

// testCacheOtherReplica plays two replicas over one database: changes made
// by replica a reach replica b's cache only through their events (here
// handed to rbackafka.CacheHandler directly, as RunCacheInvalidation would).
func testCacheOtherReplica(t *testing.T, f *cacheFixture) {
	a := rbac.New(f.st) // the other replica (its own cache, if any, does not matter)
	b := rbackafka.CacheHandler(f.svc)
	deliver := func(e iam.Event) {
		t.Helper()
		if err := b(f.ctx, e); err != nil {
			t.Fatalf("cache handler(%s): %v", e.Type, err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := a.PutClient(f.ctx, "acme", "c-1", "app"); err != nil {
		t.Fatal(err)
	}
	leaf, err := a.CreateRole(f.ctx, "acme", rbac.Role{Name: "leaf"})
	must(err)
	top, err := a.CreateRole(f.ctx, "acme", rbac.Role{Name: "top"})
	must(err)
	cr, err := a.CreateRole(f.ctx, "acme", rbac.Role{Name: "cr", ClientUUID: "c-1"})
	must(err)
	must(a.AddUserRoles(f.ctx, "acme", "u1", top.ID))
	equal(t, "u1", f.cached("acme", "u1"), []string{"top"})

	steps := []struct {
		name   string
		change func() error
		event  iam.Event
		want   []string
	}{
		{"role_mapping.changed", func() error { return a.AddUserRoles(f.ctx, "acme", "u1", cr.ID) },
			event(t, iam.TopicRoleMappingChanged, "acme", "u1", rbac.MappingChangedEvent{Realm: "acme", UserID: "u1", PrincipalType: rbac.PrincipalUser, PrincipalID: "u1"}),
			[]string{"app/cr", "top"}},
		{"role.updated (composites)", func() error { return a.AddComposites(f.ctx, "acme", top.ID, leaf.ID) },
			event(t, iam.TopicRoleUpdated, "acme", top.ID, rbac.RoleEvent{ID: top.ID, Name: "top", ContainerID: "acme"}),
			[]string{"app/cr", "leaf", "top"}},
		{"role.updated (new clientId)", func() error { return a.PutClient(f.ctx, "acme", "c-1", "app2") },
			event(t, iam.TopicRoleUpdated, "acme", cr.ID, rbac.RoleEvent{ID: cr.ID, Name: "cr", ClientRole: true, ContainerID: "c-1", ClientID: "app2"}),
			[]string{"app2/cr", "leaf", "top"}},
		{"role.deleted", func() error { return a.DeleteRole(f.ctx, "acme", leaf.ID) },
			event(t, iam.TopicRoleDeleted, "acme", leaf.ID, rbac.RoleEvent{ID: leaf.ID, Name: "leaf", ContainerID: "acme"}),
			[]string{"app2/cr", "top"}},
		{"client.deleted", func() error { return a.DeleteClient(f.ctx, "acme", "c-1") },
			event(t, iam.TopicClientDeleted, "acme", "c-1", clients.DeletedEvent{ID: "c-1", ClientID: "app2"}),
			[]string{"top"}},
		{"user.deleted", func() error { return a.DeleteUser(f.ctx, "acme", "u1") },
			event(t, iam.TopicUserDeleted, "acme", "u1", users.DeletedData{ID: "u1", Username: "alice"}),
			nil},
	}
	for _, s := range steps {
		before := f.cached("acme", "u1")
		must(s.change())
		equal(t, s.name+": before the event (cached)", f.roles("acme", "u1"), before)
		deliver(s.event)
		equal(t, s.name+": after the event", f.roles("acme", "u1"), s.want)
	}

	must(a.AddUserRoles(f.ctx, "acme", "u1", top.ID))
	deliver(event(t, iam.TopicRoleMappingChanged, "acme", "u1", rbac.MappingChangedEvent{Realm: "acme", UserID: "u1"}))
	equal(t, "u1", f.cached("acme", "u1"), []string{"top"})
	must(a.DeleteRealm(f.ctx, "acme"))
	deliver(event(t, iam.TopicRealmDeleted, "acme", "acme", realms.DeletedEvent{Name: "acme"}))
	equal(t, "after realm.deleted", f.roles("acme", "u1"), nil)
}

func testCacheTTL(t *testing.T, f *cacheFixture) {
	r := f.role("acme", "", "r")
	equal(t, "before", f.cached("acme", "u1"), nil)
	// A change the Service does not hear of (another process, no events).
	p, _ := rbac.PrincipalOf("u1")
	if err := f.st.AddMappings(f.ctx, "acme", p, []string{r.ID}); err != nil {
		t.Fatal(err)
	}
	f.advance(cacheTTL - time.Second)
	equal(t, "within the TTL", f.roles("acme", "u1"), nil)
	f.advance(2 * time.Second)
	equal(t, "after the TTL", f.roles("acme", "u1"), []string{"r"})
}

func testCacheBounded(t *testing.T, f *cacheFixture) {
	const size, users = boundedSize, 10
	r := f.role("acme", "", "r")
	for i := range users {
		f.grant("acme", fmt.Sprint("u", i), r)
	}
	for i := range users {
		f.roles("acme", fmt.Sprint("u", i))
	}
	before := f.store.total()
	for i := range users {
		equal(t, "roles", f.roles("acme", fmt.Sprint("u", i)), []string{"r"})
	}
	if reloaded := f.store.total() - before; reloaded < users-size {
		t.Fatalf("%d of %d users were loaded again, want at least %d (the cache holds %d)", reloaded, users, users-size, size)
	}
}

func testCacheCopies(t *testing.T, f *cacheFixture) {
	f.client("acme", "c-1", "app")
	r := f.role("acme", "", "r", f.role("acme", "c-1", "cr"))
	f.grant("acme", "u1", r)
	for range 2 { // the caller that loads, then one served from the cache
		rr, cr := f.effective("acme", "u1")
		rr[0] = "admin"
		cr["app"][0] = "admin"
		cr["other"] = []string{"admin"}
	}
	equal(t, "roles", f.roles("acme", "u1"), []string{"app/cr", "r"})
	if f.store.loaded("acme", "u1") != 1 {
		t.Fatalf("loaded %d times, want 1", f.store.loaded("acme", "u1"))
	}
}

// testCacheConcurrent grants roles one by one while readers keep loading:
// after each grant returns, a read sees it, even though loads that started
// before the grant finish around it.
func testCacheConcurrent(t *testing.T, f *cacheFixture) {
	const grants = 10
	roles := make([]rbac.Role, grants)
	for i := range roles {
		roles[i] = f.role("acme", "", fmt.Sprintf("r%02d", i))
	}
	ctx, stop := context.WithCancel(f.ctx)
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, _, _ = f.svc.EffectiveRoles(ctx, "acme", "u1")
			}
		}()
	}
	var want []string
	for _, r := range roles {
		if err := f.svc.AddUserRoles(f.ctx, "acme", "u1", r.ID); err != nil {
			stop()
			wg.Wait()
			t.Fatal(err)
		}
		want = append(want, r.Name)
		if got := f.roles("acme", "u1"); !slices.Equal(got, want) {
			stop()
			wg.Wait()
			t.Fatalf("after granting %s: roles = %v", r.Name, got)
		}
	}
	stop()
	wg.Wait()
}
