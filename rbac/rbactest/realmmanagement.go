package rbactest

import (
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// permissionNames returns iam.Permissions' names, sorted.
func permissionNames() []string {
	var out []string
	for _, p := range iam.Permissions() {
		out = append(out, string(p))
	}
	slices.Sort(out)
	return out
}

// testRealmManagementRoles: learning a realm's realm-management client
// (client.created) makes Keycloak's fine-grained roles with their
// composites, once, and the realm role realm-admin contains them.
func testRealmManagementRoles(t *testing.T, f *fixture) {
	handle := func(e iam.Event) {
		t.Helper()
		if err := f.svc.HandleEvent(f.ctx, e); err != nil {
			t.Fatalf("HandleEvent(%s): %v", e.Type, err)
		}
	}
	handle(event(t, iam.TopicRealmCreated, "acme", "acme", nil))
	created := event(t, iam.TopicClientCreated, "acme", "rm-1", clients.CreatedEvent{ID: "rm-1", ClientID: iam.RealmManagement})
	handle(created)
	handle(created) // redelivered
	roles, err := f.svc.ListRoles(f.ctx, "acme", rbac.RoleFilter{ClientUUID: "rm-1"})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "realm-management roles", names(roles), permissionNames())
	byName := func(name string) rbac.Role {
		t.Helper()
		r, err := f.svc.GetRoleByName(f.ctx, "acme", "rm-1", name)
		if err != nil {
			t.Fatalf("role %s: %v", name, err)
		}
		return r
	}
	equal(t, "view-users' composites", f.composites("acme", byName("view-users")),
		[]string{"realm-management/query-groups", "realm-management/query-users"})
	equal(t, "view-clients' composites", f.composites("acme", byName("view-clients")), []string{"realm-management/query-clients"})
	equal(t, "manage-users' composites", f.composites("acme", byName("manage-users")), nil)
	var others []string
	for _, n := range permissionNames() {
		if n != "realm-admin" {
			others = append(others, "realm-management/"+n)
		}
	}
	equal(t, "realm-admin's composites", f.composites("acme", byName("realm-admin")), others)

	// The realm role realm-admin holds them all, so its holders' tokens
	// carry them.
	legacy, err := f.svc.GetRoleByName(f.ctx, "acme", "", iam.RoleRealmAdmin)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "realm role realm-admin's composites", f.composites("acme", legacy), []string{"realm-management/realm-admin"})
	f.grant("acme", "u1", legacy)
	_, clientRoles := f.effective("acme", "u1")
	equal(t, "realm-admin holder's realm-management roles", clientRoles[iam.RealmManagement], permissionNames())
	f.grant("acme", "u2", byName("view-users"))
	_, clientRoles = f.effective("acme", "u2")
	equal(t, "view-users holder's roles", clientRoles[iam.RealmManagement], []string{"query-groups", "query-users", "view-users"})

	// An administrator's change stays: client.updated ensures the roles
	// again but composes nothing that exists.
	if err := f.svc.RemoveComposites(f.ctx, "acme", legacy.ID, byName("realm-admin").ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteRole(f.ctx, "acme", byName("view-events").ID); err != nil {
		t.Fatal(err)
	}
	handle(event(t, iam.TopicClientUpdated, "acme", "rm-1", clients.UpdatedEvent{ID: "rm-1", ClientID: iam.RealmManagement}))
	equal(t, "realm role realm-admin after an administrator's change", f.composites("acme", legacy), nil)
	byName("view-events") // made again

	// Another client's roles are left alone.
	handle(event(t, iam.TopicClientCreated, "acme", "app-1", clients.CreatedEvent{ID: "app-1", ClientID: "app"}))
	if roles, _ := f.svc.ListRoles(f.ctx, "acme", rbac.RoleFilter{ClientUUID: "app-1"}); len(roles) != 0 {
		t.Fatalf("app's roles = %v", names(roles))
	}

	// Concurrent runs make one set.
	f.client("beta", "rm-2", iam.RealmManagement)
	errs := make(chan error, 8)
	for range 8 {
		go func() { errs <- f.svc.EnsureRealmManagementRoles(f.ctx, "beta", "rm-2") }()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent EnsureRealmManagementRoles: %v", err)
		}
	}
	roles, _ = f.svc.ListRoles(f.ctx, "beta", rbac.RoleFilter{ClientUUID: "rm-2"})
	equal(t, "beta's realm-management roles", names(roles), permissionNames())
	legacy, _ = f.svc.GetRoleByName(f.ctx, "beta", "", iam.RoleRealmAdmin)
	equal(t, "beta's realm role realm-admin", f.composites("beta", legacy), []string{"realm-management/realm-admin"})
}
