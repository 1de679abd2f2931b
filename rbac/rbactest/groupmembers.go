package rbactest

import (
	"slices"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// Members hold the roles of their groups and of every group above them,
// composites expanded, realm and client roles alike.
func testGroupRolesAreInherited(t *testing.T, f *fixture) {
	f.client("acme", "c-1", "app")
	low := f.role("acme", "", "low")
	composite := f.role("acme", "", "composite", low)
	topRole := f.role("acme", "", "top-role")
	subRole := f.role("acme", "", "sub-role", composite)
	clientRole := f.role("acme", "c-1", "reader")
	direct := f.role("acme", "", "direct")

	top := f.group("acme", "", "top")
	sub := f.group("acme", top.ID, "sub")
	leaf := f.group("acme", sub.ID, "leaf")
	f.grantGroup("acme", top, topRole, clientRole)
	f.grantGroup("acme", sub, subRole)
	f.grant("acme", "u1", direct)
	f.join("acme", "u1", leaf)

	rr, cr := f.effective("acme", "u1")
	equal(t, "u1's realm roles", rr, []string{"composite", "direct", "low", "sub-role", "top-role"})
	equal(t, "u1's app roles", cr["app"], []string{"reader"})
	roles, err := f.svc.GroupCompositeRoles(f.ctx, "acme", sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "sub's effective roles", labels(roles), []string{"composite", "low", "sub-role", "top-role", "app/reader"})
	mapped, err := f.svc.GroupRoles(f.ctx, "acme", sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "sub's own roles", labels(mapped), []string{"sub-role"})
	equal(t, "u1's direct mappings", f.mapped("acme", "u1"), []string{"direct"})

	// Moving the leaf to the top drops what it inherited.
	if _, err := f.svc.MoveGroup(f.ctx, "acme", leaf.ID, ""); err != nil {
		t.Fatal(err)
	}
	rr, cr = f.effective("acme", "u1")
	equal(t, "after the move", rr, []string{"direct"})
	equal(t, "app roles after the move", cr["app"], nil)
	if _, err := f.svc.MoveGroup(f.ctx, "acme", leaf.ID, sub.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RemoveGroupRoles(f.ctx, "acme", top.ID, topRole.ID); err != nil {
		t.Fatal(err)
	}
	rr, _ = f.effective("acme", "u1")
	equal(t, "after top-role is unmapped", rr, []string{"composite", "direct", "low", "sub-role"})
	if err := f.svc.LeaveGroup(f.ctx, "acme", "u1", leaf.ID); err != nil {
		t.Fatal(err)
	}
	rr, cr = f.effective("acme", "u1")
	equal(t, "after leaving", rr, []string{"direct"})
	equal(t, "app roles after leaving", cr["app"], nil)
}

func testMembership(t *testing.T, f *fixture) {
	g := f.group("acme", "", "g")
	h := f.group("acme", "", "h")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for range 16 {
		wg.Go(func() { errs <- f.svc.JoinGroup(f.ctx, "acme", "u1", g.ID) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("concurrent JoinGroup: %v", err)
		}
	}
	f.join("acme", "u2", g)
	f.join("acme", "u0", g)
	f.join("acme", "u1", h)
	members, err := f.svc.GroupMembers(f.ctx, "acme", g.ID, rbac.Page{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "members", members, []string{"u0", "u1", "u2"})
	page, err := f.svc.GroupMembers(f.ctx, "acme", g.ID, rbac.Page{First: 1, Max: 1})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "second member", page, []string{"u1"})
	equal(t, "u1's groups", f.groups("acme", rbac.GroupFilter{Member: "u1"}), []string{"/g", "/h"})
	n, err := f.svc.CountGroups(f.ctx, "acme", rbac.GroupFilter{Member: "u1", Search: "H"})
	if err != nil || n != 1 {
		t.Fatalf("count of u1's groups matching H = %d, %v", n, err)
	}
	paths, err := f.svc.UserGroupPaths(f.ctx, "acme", "u1")
	if err != nil || !slices.Equal(paths, []string{"/g", "/h"}) {
		t.Fatalf("UserGroupPaths = %v, %v", paths, err)
	}
	for range 2 { // leaving is idempotent
		if err := f.svc.LeaveGroup(f.ctx, "acme", "u1", g.ID); err != nil {
			t.Fatal(err)
		}
	}
	equal(t, "u1's groups after leaving g", f.groups("acme", rbac.GroupFilter{Member: "u1"}), []string{"/h"})
	missing := iam.NewID()
	code(t, "joining an unknown group", f.svc.JoinGroup(f.ctx, "acme", "u1", missing), iam.CodeNotFound)
	code(t, "leaving an unknown group", f.svc.LeaveGroup(f.ctx, "acme", "u1", missing), iam.CodeNotFound)
	_, err = f.svc.GroupMembers(f.ctx, "acme", missing, rbac.Page{})
	code(t, "members of an unknown group", err, iam.CodeNotFound)
	code(t, "mapping a role to an unknown group", f.svc.AddGroupRoles(f.ctx, "acme", missing, f.role("acme", "", "r").ID), iam.CodeNotFound)
	code(t, "mapping an unknown role to a group", f.svc.AddGroupRoles(f.ctx, "acme", g.ID, iam.NewID()), iam.CodeNotFound)
	code(t, "a service account of an unknown client", f.svc.JoinGroup(f.ctx, "acme", iam.ServiceAccountSubject("c-9"), g.ID), iam.CodeNotFound)
}

// Deleting a group takes its subgroups, their memberships and their role
// mappings; deleting a subject or its client takes its memberships.
func testGroupDeletionCascades(t *testing.T, f *fixture) {
	f.client("acme", "c-1", "app")
	r := f.role("acme", "", "r")
	top := f.group("acme", "", "top")
	sub := f.group("acme", top.ID, "sub")
	keep := f.group("acme", "", "keep")
	f.grantGroup("acme", sub, r)
	f.grantGroup("acme", keep, r)
	sa := iam.ServiceAccountSubject("c-1")
	for _, u := range []string{"u1", "u2", sa} {
		f.join("acme", u, sub)
		f.join("acme", u, keep)
	}
	if err := f.svc.DeleteGroup(f.ctx, "acme", top.ID); err != nil {
		t.Fatal(err)
	}
	equal(t, "u1's groups", f.groups("acme", rbac.GroupFilter{Member: "u1"}), []string{"/keep"})
	users, err := f.svc.RoleUsers(f.ctx, "acme", r.ID, rbac.Page{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "users of r (groups are not users)", users, nil)
	holders, err := f.st.RolePrincipals(f.ctx, "acme", r.ID, nil, rbac.Page{})
	if err != nil || len(holders) != 1 || holders[0] != (rbac.Principal{Type: rbac.PrincipalGroup, ID: keep.ID}) {
		t.Fatalf("holders of r after sub's deletion = %v, %v", holders, err)
	}
	// A group created again with the old name starts empty.
	again := f.group("acme", "", "top")
	if roles, _ := f.svc.GroupRoles(f.ctx, "acme", again.ID); len(roles) != 0 {
		t.Fatalf("a new group inherited %v", labels(roles))
	}
	for range 2 {
		if err := f.svc.DeleteUser(f.ctx, "acme", "u1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.svc.DeleteClient(f.ctx, "acme", "c-1"); err != nil {
		t.Fatal(err)
	}
	members, err := f.svc.GroupMembers(f.ctx, "acme", keep.ID, rbac.Page{})
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "keep's members", members, []string{"u2"})
	rr, _ := f.effective("acme", "u1")
	equal(t, "a deleted user's roles", rr, nil)
}
