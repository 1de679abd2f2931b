package rbackafka_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbackafka"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// recordingInvalidator records the invalidations it is asked for, as
// "user realm/id" or "realm realm", and signals each on calls (if set).
type recordingInvalidator struct {
	next  rbackafka.Invalidator // also invalidate this one (may be nil)
	calls chan string

	mu  sync.Mutex
	got []string
}

func (r *recordingInvalidator) record(s string) {
	r.mu.Lock()
	r.got = append(r.got, s)
	r.mu.Unlock()
	if r.calls != nil {
		r.calls <- s
	}
}

func (r *recordingInvalidator) InvalidateUser(realm iam.Realm, userID string) {
	if r.next != nil {
		r.next.InvalidateUser(realm, userID)
	}
	r.record("user " + string(realm) + "/" + userID)
}

func (r *recordingInvalidator) InvalidateRealm(realm iam.Realm) {
	if r.next != nil {
		r.next.InvalidateRealm(realm)
	}
	r.record("realm " + string(realm))
}

func newEvent(t *testing.T, topic string, realm iam.Realm, subject string, data any) iam.Event {
	t.Helper()
	e, err := iam.NewEvent("/opengate/test", topic, realm, subject, data)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestCacheHandlerInvalidates(t *testing.T) {
	tests := []struct {
		name  string
		event iam.Event
		want  []string
	}{
		{"RoleMappingChangedDropsTheSubject", newEvent(t, iam.TopicRoleMappingChanged, "acme", "u1",
			rbac.MappingChangedEvent{Realm: "acme", UserID: "u1", PrincipalType: rbac.PrincipalUser, PrincipalID: "u1"}), []string{"user acme/u1"}},
		{"RoleMappingChangedOfAServiceAccount", newEvent(t, iam.TopicRoleMappingChanged, "acme", "service-account-c1",
			rbac.MappingChangedEvent{Realm: "acme", UserID: "service-account-c1", PrincipalType: rbac.PrincipalServiceAccount, PrincipalID: "c1"}),
			[]string{"user acme/service-account-c1"}},
		{"RoleMappingChangedWithoutDataUsesTheSubject", newEvent(t, iam.TopicRoleMappingChanged, "acme", "u2", nil), []string{"user acme/u2"}},
		{"UserDeletedDropsTheUser", newEvent(t, iam.TopicUserDeleted, "acme", "u3", users.DeletedData{ID: "u3", Username: "bob"}), []string{"user acme/u3"}},
		{"RoleCreatedDropsTheRealm", newEvent(t, iam.TopicRoleCreated, "acme", "r1", rbac.RoleEvent{ID: "r1", Name: "r"}), []string{"realm acme"}},
		{"RoleUpdatedDropsTheRealm", newEvent(t, iam.TopicRoleUpdated, "acme", "r1", rbac.RoleEvent{ID: "r1", Name: "r"}), []string{"realm acme"}},
		{"RoleDeletedDropsTheRealm", newEvent(t, iam.TopicRoleDeleted, "acme", "r1", rbac.RoleEvent{ID: "r1", Name: "r"}), []string{"realm acme"}},
		{"ClientUpdatedDropsTheRealm", newEvent(t, iam.TopicClientUpdated, "acme", "c1", clients.UpdatedEvent{ID: "c1", ClientID: "app2", PreviousClientID: "app"}), []string{"realm acme"}},
		{"ClientDeletedDropsTheRealm", newEvent(t, iam.TopicClientDeleted, "acme", "c1", clients.DeletedEvent{ID: "c1", ClientID: "app"}), []string{"realm acme"}},
		{"RealmDeletedDropsTheRealm", newEvent(t, iam.TopicRealmDeleted, "acme", "acme", realms.DeletedEvent{Name: "acme"}), []string{"realm acme"}},
		{"GroupMemberAddedDropsTheMember", newEvent(t, iam.TopicGroupMemberAdded, "acme", "u4",
			rbac.GroupMemberEvent{Realm: "acme", UserID: "u4", GroupID: "g1", GroupPath: "/g"}), []string{"user acme/u4"}},
		{"GroupMemberRemovedDropsTheMember", newEvent(t, iam.TopicGroupMemberRemoved, "acme", "u4",
			rbac.GroupMemberEvent{Realm: "acme", UserID: "u4", GroupID: "g1", GroupPath: "/g"}), []string{"user acme/u4"}},
		{"GroupMovedDropsTheRealm", newEvent(t, iam.TopicGroupMoved, "acme", "g1", rbac.GroupEvent{ID: "g1", Path: "/p/g"}), []string{"realm acme"}},
		{"GroupDeletedDropsTheRealm", newEvent(t, iam.TopicGroupDeleted, "acme", "g1", rbac.GroupEvent{ID: "g1", Path: "/g"}), []string{"realm acme"}},
		{"GroupRoleMappingChangedDropsTheRealm", newEvent(t, iam.TopicGroupRoleMappingChanged, "acme", "g1",
			rbac.GroupRoleMappingEvent{Realm: "acme", GroupID: "g1", GroupPath: "/g"}), []string{"realm acme"}},
		{"GroupUpdatedDropsTheRealm", newEvent(t, iam.TopicGroupUpdated, "acme", "g1", rbac.GroupEvent{ID: "g1", Path: "/h", PreviousPath: "/g"}), []string{"realm acme"}},
		{"GroupCreatedIsIgnored", newEvent(t, iam.TopicGroupCreated, "acme", "g1", rbac.GroupEvent{ID: "g1", Path: "/g"}), nil},
		{"OtherTopicsAreIgnored", newEvent(t, iam.TopicUserUpdated, "acme", "u1", nil), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &recordingInvalidator{}
			if err := rbackafka.CacheHandler(inv)(context.Background(), tt.event); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(inv.got, tt.want) {
				t.Fatalf("invalidations = %q, want %q", inv.got, tt.want)
			}
		})
	}
}

func TestCacheTopicsAreWhatTheHandlerHandles(t *testing.T) {
	for _, topic := range rbackafka.CacheTopics() {
		inv := &recordingInvalidator{}
		_ = rbackafka.CacheHandler(inv)(context.Background(), newEvent(t, topic, "acme", "x", nil))
		if len(inv.got) != 1 {
			t.Errorf("%s: %d invalidations, want 1", topic, len(inv.got))
		}
	}
}

func TestCacheGroupIsPerInstance(t *testing.T) {
	a, b := rbackafka.CacheGroup("auth-service", "host-a"), rbackafka.CacheGroup("auth-service", "host-b")
	if a == b || a == rbac.Consumer || b == rbac.Consumer {
		t.Fatalf("groups %q and %q must differ from each other and from %q", a, b, rbac.Consumer)
	}
}

// TestRunCacheInvalidationKeepsReplicasCoherent runs two rbac replicas over
// one store (as over one database): writer changes roles, and the events it
// publishes reach the caches of the other replica and of a CachedResolver in
// front of it (as auth-service holds in front of rbachttp.Client).
func TestRunCacheInvalidationKeepsReplicasCoherent(t *testing.T) {
	bus := iambus.New(iambus.WithBackoff(time.Millisecond, 5*time.Millisecond))
	t.Cleanup(func() { _ = bus.Close() })
	store := rbacmem.New(bus)
	writer := rbac.New(store)
	replica := rbac.New(store, rbac.WithEffectiveRolesCache(time.Hour, 0))
	remote := rbac.NewCachedResolver(replica, rbac.WithCacheTTL(time.Hour))

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	caches := map[string]*recordingInvalidator{
		"rbac-service": {next: replica, calls: make(chan string, 64)},
		"auth-service": {next: remote, calls: make(chan string, 64)},
	}
	for service, inv := range caches {
		group := rbackafka.CacheGroup(service, "host-1")
		if err := bus.Declare(group, rbackafka.CacheTopics()...); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := rbackafka.RunCacheInvalidation(ctx, bus, group, inv); !errors.Is(err, context.Canceled) {
				t.Errorf("RunCacheInvalidation = %v, want context.Canceled", err)
			}
		}()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })

	// delivered waits until both caches were invalidated as want says.
	delivered := func(want string) {
		t.Helper()
		for service, inv := range caches {
			select {
			case got := <-inv.calls:
				if got != want {
					t.Fatalf("%s: invalidation %q, want %q", service, got, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s: no invalidation %q", service, want)
			}
		}
	}
	roles := func(r rbac.RoleResolver) []string {
		t.Helper()
		rr, _, err := r.EffectiveRoles(ctx, "acme", "u1")
		if err != nil {
			t.Fatal(err)
		}
		return rr
	}
	check := func(what string, want ...string) {
		t.Helper()
		for name, r := range map[string]rbac.RoleResolver{"replica": replica, "remote": remote} {
			if got := roles(r); !slices.Equal(got, want) && (len(got) != 0 || len(want) != 0) {
				t.Fatalf("%s: %s sees %v, want %v", what, name, got, want)
			}
		}
	}

	top, err := writer.CreateRole(ctx, "acme", rbac.Role{Name: "top"})
	if err != nil {
		t.Fatal(err)
	}
	delivered("realm acme")
	check("before any mapping")
	if remote.Len() != 1 {
		t.Fatalf("the CachedResolver holds %d entries, want 1", remote.Len())
	}
	if err := writer.AddUserRoles(ctx, "acme", "u1", top.ID); err != nil {
		t.Fatal(err)
	}
	delivered("user acme/u1")
	check("after role_mapping.changed", "top")

	leaf, err := writer.CreateRole(ctx, "acme", rbac.Role{Name: "leaf"})
	if err != nil {
		t.Fatal(err)
	}
	delivered("realm acme")
	check("after role.created", "top")
	if err := writer.AddComposites(ctx, "acme", top.ID, leaf.ID); err != nil {
		t.Fatal(err)
	}
	delivered("realm acme")
	check("after role.updated", "leaf", "top")
	if err := writer.DeleteRole(ctx, "acme", leaf.ID); err != nil {
		t.Fatal(err)
	}
	delivered("realm acme")
	check("after role.deleted", "top")
	if err := writer.DeleteUser(ctx, "acme", "u1"); err != nil {
		t.Fatal(err)
	}
	delivered("user acme/u1")
	check("after the user's mappings were deleted")

	// Groups: u1 holds top through a subgroup of the group holding it.
	parent, err := writer.CreateGroup(ctx, "acme", rbac.Group{Name: "parent"}) // group.created: no invalidation
	if err != nil {
		t.Fatal(err)
	}
	child, err := writer.CreateGroup(ctx, "acme", rbac.Group{Name: "child", ParentID: parent.ID})
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.AddGroupRoles(ctx, "acme", parent.ID, top.ID); err != nil {
		t.Fatal(err)
	}
	delivered("realm acme")
	check("after group.role_mapping.changed of a group u1 is not in")
	if err := writer.JoinGroup(ctx, "acme", "u1", child.ID); err != nil {
		t.Fatal(err)
	}
	delivered("user acme/u1")
	check("after group.member.added", "top")
	if _, err := writer.MoveGroup(ctx, "acme", child.ID, ""); err != nil {
		t.Fatal(err)
	}
	delivered("realm acme")
	check("after group.moved to the top")
	if _, err := writer.MoveGroup(ctx, "acme", child.ID, parent.ID); err != nil {
		t.Fatal(err)
	}
	delivered("realm acme")
	check("after group.moved back", "top")
	if err := writer.DeleteGroup(ctx, "acme", parent.ID); err != nil {
		t.Fatal(err)
	}
	delivered("realm acme") // group.deleted of parent
	delivered("realm acme") // and of child
	check("after group.deleted")
}
