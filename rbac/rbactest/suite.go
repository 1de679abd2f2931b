// Package rbactest is the conformance suite every rbac.Store passes. A
// backend's test runs it in three lines:
//
//	func TestStore(t *testing.T) {
//		rbactest.Run(t, func(t *testing.T) rbactest.Harness {
//			rec := iamtest.NewRecorder()
//			return rbactest.Harness{Store: rbacmem.New(rec), Events: rec.Events}
//		})
//	}
//
// newHarness must return an empty Store for each call (each subtest gets its
// own). The suite drives the Store mostly through rbac.Service, the way
// OpenGate uses it, and checks the guarantees documented on rbac.Store. It
// runs again through a Service with rbac.WithEffectiveRolesCache, and checks
// that cache over the Store: changes visible at once (mappings, composites
// deep in a chain, renames, deletions, consumed events, another replica's
// events), expiry, bounded size, copies.
package rbactest

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// Harness is one fresh, empty store under test and a way to read the events
// it has recorded (the memory store's publisher, the PostgreSQL outbox).
type Harness struct {
	Store rbac.Store
	// Events returns every event the store has recorded, oldest first.
	Events func(t *testing.T) []iam.Event
}

// Run runs the conformance suite: each case on a fresh Harness from
// newHarness, which must return an empty store each time it is called.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, f *fixture)
		// readsRoles marks the tests that read effective roles: they run
		// again through a Service caching them.
		readsRoles bool
	}{
		{"RoleLifecycle", testRoleLifecycle, false},
		{"RoleExtraRoundTrips", testRoleExtra, false},
		{"AtomicallyKeepsAllOrNothing", testAtomically, true},
		{"ImportCreatesRolesCompositesAndMappings", testImportCreatesRolesAndMappings, true},
		{"ImportModesFailSkipOverwrite", testImportModes, true},
		{"ImportFailureLeavesNothing", testImportFailureLeavesNothing, true},
		{"ImportRefusalsNameTheItem", testImportRefusals, false},
		{"ImportFollowsTheEscalationRule", testImportEscalation, true},
		{"ImportCountsRealmManagementRolesAsPower", testImportEscalationRealmManagement, true},
		{"ImportGroupsWithMembersAndModes", testImportGroups, true},
		{"ImportGroupFailureLeavesNothing", testImportGroupFailureLeavesNothing, false},
		{"DuplicateRoleNameIsConflict", testDuplicateName, false},
		{"UpdateRoleAppliesChangeAndKeepsIdentity", testUpdateRoleThroughStore, false},
		{"UpdateRoleErrorChangesNothing", testUpdateRoleErrorChangesNothing, false},
		{"ConcurrentRoleUpdatesDoNotLoseChanges", testConcurrentRoleUpdates, false},
		{"ListRolesOrdersSearchesAndPages", testListRoles, false},
		{"ClientRolesNeedAKnownClient", testClientRoles, true},
		{"CompositeExpansionThreeLevelsDeep", testExpansionThreeLevels, true},
		{"CycleRejection", testCycleRejection, false},
		{"ConcurrentOppositeEdgesNeverFormACycle", testConcurrentCycle, false},
		{"ConcurrentMappingIsIdempotent", testConcurrentMapping, false},
		{"AddRealmRoleMappingMapsByNameOrNothing", testAddRealmRoleMapping, false},
		{"ConcurrentCompositeIsIdempotent", testConcurrentComposite, false},
		{"UnknownRoleChangesNothing", testUnknownRoleIsAtomic, false},
		{"DeleteRoleRemovesItFromCompositesAndMappings", testDeleteRoleCascades, true},
		{"DeleteClientRemovesItsRolesAndServiceAccount", testDeleteClient, false},
		{"DeleteRealmRemovesEverythingOfTheRealm", testDeleteRealm, true},
		{"DeletePrincipalRemovesItsMappings", testDeletePrincipal, false},
		{"RealmIsolation", testRealmIsolation, true},
		{"RolePrincipalsPages", testRolePrincipals, false},
		{"RealmDefaultsAreIdempotent", testRealmDefaults, true},
		{"RealmManagementRolesAreKeycloaks", testRealmManagementRoles, true},
		{"OnceRunsEachEventOnce", testOnce, false},
		{"ConsumersApplyEventsOnce", testConsumers, true},
		{"EventsAreRecordedWithTheirChange", testEvents, false},
		{"GroupLifecycle", testGroupLifecycle, false},
		{"GroupValidation", testGroupValidation, false},
		{"GroupSiblingNamesAreUnique", testSiblingNamesAreUnique, false},
		{"MoveGroupKeepsATree", testMoveGroup, false},
		{"GroupSearchAndAttributeQuery", testGroupSearch, false},
		{"ConcurrentGroupUpdatesDoNotLoseChanges", testConcurrentGroupUpdates, false},
		{"ConcurrentTreeChangesKeepPathsRight", testConcurrentTreeChangesKeepPaths, false},
		{"GroupRealmIsolation", testGroupRealmIsolation, false},
		{"GroupRolesAreInheritedBySubgroupMembers", testGroupRolesAreInherited, true},
		{"GroupMembership", testMembership, false},
		{"GroupDeletionCascades", testGroupDeletionCascades, true},
		{"ImportAndExportGroups", testImportAndExportGroups, true},
		{"ImportGroupsIsAllOrNothing", testImportGroupsIsAllOrNothing, false},
		{"GroupEventsAreRecordedWithTheirChange", testGroupEvents, false},
		{"ScopeExpandsCompositesOnBothSides", testScopeExpandsCompositesOnBothSides, true},
		{"ScopeMappingLifecycle", testScopeMappingLifecycle, true},
		{"ScopeMappingsFollowDeletions", testScopeMappingsFollowDeletions, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			tt.fn(t, &fixture{t: t, h: h, st: h.Store, svc: rbac.New(h.Store), ctx: context.Background()})
		})
	}
	// The tests reading effective roles again, through a Service caching
	// them: the cache must not change what they observe.
	t.Run("ThroughEffectiveRolesCache", func(t *testing.T) {
		for _, tt := range tests {
			if !tt.readsRoles {
				continue
			}
			t.Run(tt.name, func(t *testing.T) {
				h := newHarness(t)
				svc := rbac.New(h.Store, rbac.WithEffectiveRolesCache(0, 0))
				tt.fn(t, &fixture{t: t, h: h, st: h.Store, svc: svc, ctx: context.Background()})
			})
		}
	})
	t.Run("EffectiveRolesCache", func(t *testing.T) {
		for _, tt := range cacheTests {
			t.Run(tt.name, func(t *testing.T) {
				tt.fn(t, newCacheFixture(t, newHarness(t), tt.size))
			})
		}
	})
}

// fixture bundles a Harness, a Service on its Store and helpers that fail
// the test.
type fixture struct {
	t   *testing.T
	h   Harness
	st  rbac.Store
	svc *rbac.Service
	ctx context.Context
}

// role creates a realm role (clientUUID "") or client role named name.
func (f *fixture) role(realm iam.Realm, clientUUID, name string, composites ...rbac.Role) rbac.Role {
	f.t.Helper()
	ids := make([]string, len(composites))
	for i, c := range composites {
		ids[i] = c.ID
	}
	r, err := f.svc.CreateRole(f.ctx, realm, rbac.Role{Name: name, ClientUUID: clientUUID}, ids...)
	if err != nil {
		f.t.Fatalf("CreateRole(%s, %q): %v", realm, name, err)
	}
	return r
}

// client records a client.
func (f *fixture) client(realm iam.Realm, id, clientID string) {
	f.t.Helper()
	if err := f.svc.PutClient(f.ctx, realm, id, clientID); err != nil {
		f.t.Fatalf("PutClient: %v", err)
	}
}

// compose makes parent contain children.
func (f *fixture) compose(realm iam.Realm, parent rbac.Role, children ...rbac.Role) {
	f.t.Helper()
	if err := f.svc.AddComposites(f.ctx, realm, parent.ID, ids(children)...); err != nil {
		f.t.Fatalf("AddComposites(%s ← %v): %v", parent.Name, names(children), err)
	}
}

// grant maps roles to userID.
func (f *fixture) grant(realm iam.Realm, userID string, roles ...rbac.Role) {
	f.t.Helper()
	if err := f.svc.AddUserRoles(f.ctx, realm, userID, ids(roles)...); err != nil {
		f.t.Fatalf("AddUserRoles(%s): %v", userID, err)
	}
}

// effective returns EffectiveRoles of userID.
func (f *fixture) effective(realm iam.Realm, userID string) ([]string, map[string][]string) {
	f.t.Helper()
	rr, cr, err := f.svc.EffectiveRoles(f.ctx, realm, userID)
	if err != nil {
		f.t.Fatalf("EffectiveRoles(%s): %v", userID, err)
	}
	return rr, cr
}

// mapped returns the names (labels) of the roles mapped directly to userID.
func (f *fixture) mapped(realm iam.Realm, userID string) []string {
	f.t.Helper()
	roles, err := f.svc.UserRoles(f.ctx, realm, userID)
	if err != nil {
		f.t.Fatalf("UserRoles(%s): %v", userID, err)
	}
	return labels(roles)
}

// composites returns the labels of the roles parent directly contains.
func (f *fixture) composites(realm iam.Realm, parent rbac.Role) []string {
	f.t.Helper()
	roles, err := f.svc.Composites(f.ctx, realm, parent.ID)
	if err != nil {
		f.t.Fatalf("Composites(%s): %v", parent.Name, err)
	}
	return labels(roles)
}

func ids(roles []rbac.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.ID
	}
	return out
}

func names(roles []rbac.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.Name
	}
	return out
}

func labels(roles []rbac.Role) []string {
	out := make([]string, len(roles))
	for i, r := range roles {
		out[i] = r.Label()
	}
	return out
}

// equal fails unless got equals want (nil and empty are equal).
func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s = %q, want %q", what, got, want)
	}
}

// code fails unless err carries code.
func code(t *testing.T, what string, err error, want iam.Code) {
	t.Helper()
	if got := iam.ErrorCode(err); got != want {
		t.Fatalf("%s: code %q (err %v), want %q", what, got, err, want)
	}
}

// isNotFound reports whether err is CodeNotFound.
func isNotFound(err error) bool { return errors.Is(err, iam.ErrNotFound) }
