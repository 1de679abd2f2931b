package rbactest

import (
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// scopeNames returns ScopeRoleNames of clientUUID, failing the test.
func (f *fixture) scopeNames(realm iam.Realm, clientUUID string) ([]string, map[string][]string) {
	f.t.Helper()
	rr, cr, err := f.svc.ScopeRoleNames(f.ctx, realm, clientUUID)
	if err != nil {
		f.t.Fatalf("ScopeRoleNames(%s): %v", clientUUID, err)
	}
	return rr, cr
}

// mapScope maps roles to clientUUID's scope, failing the test.
func (f *fixture) mapScope(realm iam.Realm, clientUUID string, roles ...rbac.Role) {
	f.t.Helper()
	if err := f.svc.AddScopeRoles(f.ctx, realm, clientUUID, ids(roles)...); err != nil {
		f.t.Fatalf("AddScopeRoles(%s): %v", clientUUID, err)
	}
}

// A client's scope is its own roles and the roles mapped to it, composites
// expanded on both: a composite mapped brings what it contains, an own
// composite role brings what it contains, and nothing else of the realm
// is in it.
func testScopeExpandsCompositesOnBothSides(t *testing.T, f *fixture) {
	f.client("acme", "c-app", "app")
	f.client("acme", "c-api", "api")
	read := f.role("acme", "c-api", "read")
	f.role("acme", "c-api", "write") // not in the scope
	ownChild := f.role("acme", "", "own-child")
	f.role("acme", "c-app", "app-admin", ownChild)
	leaf := f.role("acme", "", "leaf")
	mid := f.role("acme", "", "mid", leaf, read)
	f.role("acme", "", "outside")

	rr, cr := f.scopeNames("acme", "c-app")
	equal(t, "realm roles of the scope before any mapping", rr, []string{"own-child"})
	equal(t, "app's roles", cr["app"], []string{"app-admin"})

	f.mapScope("acme", "c-app", mid)
	rr, cr = f.scopeNames("acme", "c-app")
	equal(t, "realm roles of the scope", rr, []string{"leaf", "mid", "own-child"})
	equal(t, "api's roles in the scope", cr["api"], []string{"read"})
	equal(t, "app's roles", cr["app"], []string{"app-admin"})

	direct, err := f.svc.ScopeRoles(f.ctx, "acme", "c-app")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "scope mappings", labels(direct), []string{"mid"})
	all, err := f.svc.ScopeCompositeRoles(f.ctx, "acme", "c-app")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "composite scope", labels(all), []string{"leaf", "mid", "own-child", "api/read", "app/app-admin"})

	// The scope is nobody's: no subject holds mid through it.
	rr, _ = f.effective("acme", "u1")
	equal(t, "u1's roles", rr, nil)
	users, err := f.svc.RoleUsers(f.ctx, "acme", mid.ID, rbac.Page{})
	if err != nil || len(users) != 0 {
		t.Fatalf("users of a scope-mapped role = %v, %v", users, err)
	}
}

// Scope mappings are idempotent, removable, need a known client and known
// roles, and each change records scope_mapping.changed.
func testScopeMappingLifecycle(t *testing.T, f *fixture) {
	f.client("acme", "c-app", "app")
	user := f.role("acme", "", "user")
	before := len(f.h.Events(t))
	for range 2 {
		f.mapScope("acme", "c-app", user)
	}
	direct, err := f.svc.ScopeRoles(f.ctx, "acme", "c-app")
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "scope mappings", labels(direct), []string{"user"})
	code(t, "unknown client", f.svc.AddScopeRoles(f.ctx, "acme", "c-none", user.ID), iam.CodeNotFound)
	code(t, "unknown role", f.svc.AddScopeRoles(f.ctx, "acme", "c-app", user.ID, "no-such-role"), iam.CodeNotFound)
	_, err = f.svc.ScopeRoles(f.ctx, "acme", "c-none")
	code(t, "scope of an unknown client", err, iam.CodeNotFound)

	if err := f.svc.RemoveScopeRoles(f.ctx, "acme", "c-app", user.ID); err != nil {
		t.Fatal(err)
	}
	rr, _ := f.scopeNames("acme", "c-app")
	equal(t, "scope after removal", rr, nil)

	var scopeEvents int
	for _, e := range f.h.Events(t)[before:] {
		if e.Type != iam.TopicScopeMappingChanged {
			continue
		}
		var d rbac.ScopeMappingEvent
		if err := e.Decode(&d); err != nil || d.ClientUUID != "c-app" || d.ClientID != "app" || e.Subject != "c-app" {
			t.Fatalf("scope_mapping.changed = %+v (%v), subject %q", d, err, e.Subject)
		}
		scopeEvents++
	}
	if scopeEvents != 3 {
		t.Fatalf("%d scope_mapping.changed events, want 3 (two additions, one removal)", scopeEvents)
	}
}

// Deleting a role takes it out of every scope; deleting a client deletes
// its scope mappings (and a client recreated with its id starts empty);
// a realm's scopes are its own.
func testScopeMappingsFollowDeletions(t *testing.T, f *fixture) {
	for _, realm := range []iam.Realm{"acme", "other"} {
		f.client(realm, "c-app", "app")
		f.mapScope(realm, "c-app", f.role(realm, "", "user"), f.role(realm, "", "gone"))
	}
	gone, err := f.svc.GetRoleByName(f.ctx, "acme", "", "gone")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteRole(f.ctx, "acme", gone.ID); err != nil {
		t.Fatal(err)
	}
	rr, _ := f.scopeNames("acme", "c-app")
	equal(t, "scope after the role's deletion", rr, []string{"user"})

	if err := f.svc.DeleteClient(f.ctx, "acme", "c-app"); err != nil {
		t.Fatal(err)
	}
	f.client("acme", "c-app", "app")
	rr, _ = f.scopeNames("acme", "c-app")
	equal(t, "scope of a client recreated with the deleted one's id", rr, nil)
	rr, _ = f.scopeNames("other", "c-app")
	equal(t, "the other realm's scope", rr, []string{"gone", "user"})
}
