package rbactest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

func testRoleLifecycle(t *testing.T, f *fixture) {
	created, err := f.svc.CreateRole(f.ctx, "acme", rbac.Role{
		Name: "editor", Description: "edits", Attributes: map[string][]string{"team": {"a", "b"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.Realm != "acme" || created.Composite || created.IsClientRole() {
		t.Fatalf("created = %+v", created)
	}
	got, err := f.svc.GetRole(f.ctx, "acme", created.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "editor" || got.Description != "edits" || len(got.Attributes["team"]) != 2 || got.ContainerID() != "acme" {
		t.Fatalf("GetRole = %+v", got)
	}
	got.Attributes["team"][0] = "changed" // the store must have copied out
	if again, _ := f.svc.GetRole(f.ctx, "acme", created.ID); again.Attributes["team"][0] != "a" {
		t.Fatal("the store shares its attributes with callers")
	}
	byName, err := f.svc.GetRoleByName(f.ctx, "acme", "", "editor")
	if err != nil || byName.ID != created.ID {
		t.Fatalf("GetRoleByName = %+v, %v", byName, err)
	}

	name, desc := "author", ""
	attrs := map[string][]string{"x": {"1"}}
	updated, err := f.svc.UpdateRole(f.ctx, "acme", created.ID, rbac.RoleUpdate{Name: &name, Description: &desc, Attributes: &attrs})
	if err != nil {
		t.Fatal(err)
	}
	got, err = f.svc.GetRole(f.ctx, "acme", created.ID)
	if err != nil || got.Name != "author" || got.Description != "" || len(got.Attributes) != 1 || got.Attributes["x"][0] != "1" {
		t.Fatalf("after update = %+v, %v", got, err)
	}
	if updated.Name != "author" || !got.UpdatedAt.After(created.CreatedAt.Add(-1)) {
		t.Fatalf("updated = %+v", updated)
	}
	if _, err := f.svc.GetRoleByName(f.ctx, "acme", "", "editor"); !isNotFound(err) {
		t.Fatalf("old name still found: %v", err)
	}
	partial, err := f.svc.UpdateRole(f.ctx, "acme", created.ID, rbac.RoleUpdate{})
	if err != nil || partial.Name != "author" || partial.Attributes["x"][0] != "1" {
		t.Fatalf("empty update changed the role: %+v, %v", partial, err)
	}

	if err := f.svc.DeleteRole(f.ctx, "acme", created.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.GetRole(f.ctx, "acme", created.ID)
	code(t, "GetRole after delete", err, iam.CodeNotFound)
	code(t, "DeleteRole twice", f.svc.DeleteRole(f.ctx, "acme", created.ID), iam.CodeNotFound)
	_, err = f.svc.UpdateRole(f.ctx, "acme", created.ID, rbac.RoleUpdate{Name: &name})
	code(t, "UpdateRole of deleted", err, iam.CodeNotFound)
}

// Keycloak's fields a role keeps verbatim are stored with it, copied in and
// out, returned by every read, and merged field by field by UpdateRole.
func testRoleExtra(t *testing.T, f *fixture) {
	sent := iam.Extra{"scopeParamRequired": json.RawMessage(`true`), "x-note": json.RawMessage(`{"a":[1,2]}`)}
	created, err := f.svc.CreateRole(f.ctx, "acme", rbac.Role{Name: "viewer", Extra: sent})
	if err != nil {
		t.Fatal(err)
	}
	sent["scopeParamRequired"][0] = 'f' // the store must have copied in
	want := iam.Extra{"scopeParamRequired": json.RawMessage(`true`), "x-note": json.RawMessage(`{"a":[1,2]}`)}
	got, err := f.svc.GetRole(f.ctx, "acme", created.ID)
	if err != nil || !got.Extra.Equal(want) {
		t.Fatalf("GetRole Extra = %s, %v; want %s", got.Extra, err, want)
	}
	list, err := f.svc.ListRoles(f.ctx, "acme", rbac.RoleFilter{Search: "viewer"})
	if err != nil || len(list) != 1 || !list[0].Extra.Equal(want) {
		t.Fatalf("ListRoles = %+v, %v", list, err)
	}
	desc := "views"
	updated, err := f.svc.UpdateRole(f.ctx, "acme", created.ID, rbac.RoleUpdate{Description: &desc,
		Extra: iam.Extra{"scopeParamRequired": json.RawMessage(`false`)}})
	want["scopeParamRequired"] = json.RawMessage(`false`)
	if err != nil || !updated.Extra.Equal(want) {
		t.Fatalf("UpdateRole Extra = %s, %v; want %s", updated.Extra, err, want)
	}
	if got, _ := f.svc.GetRole(f.ctx, "acme", created.ID); !got.Extra.Equal(want) || got.Description != "views" {
		t.Fatalf("after update = %+v", got)
	}
}

func testDuplicateName(t *testing.T, f *fixture) {
	f.client("acme", "c-1", "app")
	a := f.role("acme", "", "a")
	f.role("acme", "", "b")
	_, err := f.svc.CreateRole(f.ctx, "acme", rbac.Role{Name: "a"})
	code(t, "duplicate realm role", err, iam.CodeConflict)
	name := "b"
	_, err = f.svc.UpdateRole(f.ctx, "acme", a.ID, rbac.RoleUpdate{Name: &name})
	code(t, "rename onto existing", err, iam.CodeConflict)
	if iam.ErrorField(err) != "name" {
		t.Fatalf("rename onto existing: field %q, want name", iam.ErrorField(err))
	}

	// Containers are separate namespaces, and so are realms.
	f.role("acme", "c-1", "a")
	_, err = f.svc.CreateRole(f.ctx, "acme", rbac.Role{Name: "a", ClientUUID: "c-1"})
	code(t, "duplicate client role", err, iam.CodeConflict)
	f.role("other", "", "a")
}

func testListRoles(t *testing.T, f *fixture) {
	for _, n := range []string{"delta", "Alpha", "charlie", "bravo", "alphabet"} {
		f.role("acme", "", n)
	}
	f.client("acme", "c-1", "app")
	f.role("acme", "c-1", "client-only")
	f.role("other", "", "zulu")

	list := func(filter rbac.RoleFilter) []string {
		t.Helper()
		roles, err := f.svc.ListRoles(f.ctx, "acme", filter)
		if err != nil {
			t.Fatal(err)
		}
		return names(roles)
	}
	equal(t, "all", list(rbac.RoleFilter{}), []string{"Alpha", "alphabet", "bravo", "charlie", "delta"})
	equal(t, "search", list(rbac.RoleFilter{Search: "ALPHA"}), []string{"Alpha", "alphabet"})
	equal(t, "page", list(rbac.RoleFilter{First: 1, Max: 2}), []string{"alphabet", "bravo"})
	equal(t, "past the end", list(rbac.RoleFilter{First: 10}), nil)
	equal(t, "client", list(rbac.RoleFilter{ClientUUID: "c-1"}), []string{"client-only"})
}

func testClientRoles(t *testing.T, f *fixture) {
	_, err := f.svc.CreateRole(f.ctx, "acme", rbac.Role{Name: "r", ClientUUID: "c-unknown"})
	code(t, "role of unknown client", err, iam.CodeNotFound)
	code(t, "store: role of unknown client",
		f.st.CreateRole(f.ctx, rbac.Role{ID: iam.NewID(), Realm: "acme", Name: "r", ClientUUID: "c-unknown"}, nil), iam.CodeNotFound)
	_, err = f.svc.ListRoles(f.ctx, "acme", rbac.RoleFilter{ClientUUID: "c-unknown"})
	code(t, "roles of unknown client", err, iam.CodeNotFound)

	f.client("acme", "c-1", "app")
	r := f.role("acme", "c-1", "reader")
	got, err := f.svc.GetRoleByName(f.ctx, "acme", "c-1", "reader")
	if err != nil || got.ID != r.ID || got.ClientID != "app" || got.ContainerID() != "c-1" || !got.IsClientRole() {
		t.Fatalf("client role = %+v, %v", got, err)
	}
	if _, err := f.svc.GetRoleByName(f.ctx, "acme", "", "reader"); !isNotFound(err) {
		t.Fatalf("a client role is found as a realm role: %v", err)
	}
	f.grant("acme", "u1", r)
	if _, cr := f.effective("acme", "u1"); len(cr["app"]) != 1 || cr["app"][0] != "reader" {
		t.Fatalf("client roles = %v", cr)
	}
	// A renamed client (client.updated) renames the key in tokens.
	f.client("acme", "c-1", "app2")
	if _, cr := f.effective("acme", "u1"); len(cr) != 1 || cr["app2"][0] != "reader" {
		t.Fatalf("client roles after rename = %v", cr)
	}
	c, err := f.svc.Client(f.ctx, "acme", "c-1")
	if err != nil || c.ClientID != "app2" {
		t.Fatalf("Client = %+v, %v", c, err)
	}
	if c, err := f.svc.FindClient(f.ctx, "acme", "app2"); err != nil || c.ID != "c-1" {
		t.Fatalf("FindClient(app2) = %+v, %v", c, err)
	}
	if _, err := f.svc.FindClient(f.ctx, "acme", "app"); !isNotFound(err) {
		t.Fatalf("FindClient(old clientId): %v", err)
	}
	if _, err := f.svc.FindClient(f.ctx, "other", "app2"); !isNotFound(err) {
		t.Fatalf("FindClient across realms: %v", err)
	}
}

func testRealmDefaults(t *testing.T, f *fixture) {
	for range 2 {
		if err := f.svc.EnsureRealmDefaults(f.ctx, "acme"); err != nil {
			t.Fatal(err)
		}
	}
	roles, err := f.svc.ListRoles(f.ctx, "acme", rbac.RoleFilter{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "acme roles", names(roles), []string{"default-roles-acme", "offline_access", "realm-admin", "uma_authorization"})
	def, err := f.svc.GetRoleByName(f.ctx, "acme", "", "default-roles-acme")
	if err != nil || !def.Composite {
		t.Fatalf("default role = %+v, %v", def, err)
	}
	equal(t, "default composites", f.composites("acme", def), []string{"offline_access", "uma_authorization"})

	if err := f.svc.EnsureRealmDefaults(f.ctx, iam.MasterRealm); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.GetRoleByName(f.ctx, iam.MasterRealm, "", iam.RoleAdmin); err != nil {
		t.Fatalf("master has no admin role: %v", err)
	}
	if _, err := f.svc.GetRoleByName(f.ctx, "acme", "", iam.RoleAdmin); !isNotFound(err) {
		t.Fatalf("acme has an admin role: %v", err)
	}

	// Concurrent runs on a new realm all succeed and make one set of roles.
	errs := make(chan error, 8)
	for range 8 {
		go func() { errs <- f.svc.EnsureRealmDefaults(f.ctx, "beta") }()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Fatalf("concurrent EnsureRealmDefaults: %v", err)
		}
	}
	roles, _ = f.svc.ListRoles(f.ctx, "beta", rbac.RoleFilter{})
	equal(t, "beta roles", names(roles), []string{"default-roles-beta", "offline_access", "realm-admin", "uma_authorization"})

	if err := f.svc.AssignDefaultRoles(f.ctx, "acme", "u1"); err != nil {
		t.Fatal(err)
	}
	rr, _ := f.effective("acme", "u1")
	equal(t, "new user's roles", rr, []string{"default-roles-acme", "offline_access", "uma_authorization"})

	// The default role and master's admin role are protected.
	code(t, "delete default role", f.svc.DeleteRole(f.ctx, "acme", def.ID), iam.CodeInvalid)
	n := "renamed"
	_, err = f.svc.UpdateRole(f.ctx, "acme", def.ID, rbac.RoleUpdate{Name: &n})
	code(t, "rename default role", err, iam.CodeInvalid)
	admin, _ := f.svc.GetRoleByName(f.ctx, iam.MasterRealm, "", iam.RoleAdmin)
	code(t, "delete master admin", f.svc.DeleteRole(f.ctx, iam.MasterRealm, admin.ID), iam.CodeInvalid)
}

func testRolePrincipals(t *testing.T, f *fixture) {
	r := f.role("acme", "", "r")
	f.client("acme", "c-1", "app")
	for i := range 5 {
		f.grant("acme", fmt.Sprintf("u%d", i), r)
	}
	f.grant("acme", iam.ServiceAccountSubject("c-1"), r)
	all, err := f.svc.RoleUsers(f.ctx, "acme", r.ID, rbac.Page{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "all", all, []string{"service-account-c-1", "u0", "u1", "u2", "u3", "u4"})
	page, err := f.svc.RoleUsers(f.ctx, "acme", r.ID, rbac.Page{First: 2, Max: 2})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "page", page, []string{"u1", "u2"})
	_, err = f.svc.RoleUsers(f.ctx, "acme", iam.NewID(), rbac.Page{})
	code(t, "users of unknown role", err, iam.CodeNotFound)
}
