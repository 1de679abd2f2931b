package rbactest

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// importTrees is a small export: /eng (realm role dev, app/reader; member
// u1) with /eng/backend (member u2) and /eng/backend/db, and /ops.
func importTrees() []rbac.GroupTree {
	return []rbac.GroupTree{
		{Group: rbac.Group{Name: "eng", Attributes: map[string][]string{"k": {"v"}},
			Extra: iam.Extra{"access": json.RawMessage(`{"view":true}`)}},
			RealmRoles: []string{"dev"}, ClientRoles: map[string][]string{"app": {"reader"}}, Members: []string{"u1"},
			SubGroups: []rbac.GroupTree{{Group: rbac.Group{Name: "backend"}, Members: []string{"u2"},
				SubGroups: []rbac.GroupTree{{Group: rbac.Group{Name: "db", Description: "databases"}}}}}},
		{Group: rbac.Group{ID: "0190c0de-0000-7000-8000-000000000001", Name: "ops"}},
	}
}

func testImportAndExportGroups(t *testing.T, f *fixture) {
	f.client("acme", "c-1", "app")
	f.role("acme", "", "dev")
	f.role("acme", "c-1", "reader")
	created, err := f.svc.ImportGroups(f.ctx, "acme", importTrees())
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "created", paths(created), []string{"/eng", "/eng/backend", "/eng/backend/db", "/ops"})
	if created[3].ID != "0190c0de-0000-7000-8000-000000000001" {
		t.Fatalf("the import did not keep the given id: %s", created[3].ID)
	}
	rr, cr := f.effective("acme", "u2")
	equal(t, "u2's roles, inherited from /eng", rr, []string{"dev"})
	equal(t, "u2's app roles", cr["app"], []string{"reader"})
	equal(t, "u1's groups", f.groups("acme", rbac.GroupFilter{Member: "u1"}), []string{"/eng"})

	trees, err := f.svc.ExportGroups(f.ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if len(trees) != 2 || trees[0].Name != "eng" || trees[1].Name != "ops" {
		t.Fatalf("exported roots = %+v", trees)
	}
	eng := trees[0]
	if !slices.Equal(eng.RealmRoles, []string{"dev"}) || !slices.Equal(eng.ClientRoles["app"], []string{"reader"}) ||
		!slices.Equal(eng.Members, []string{"u1"}) || eng.Attributes["k"][0] != "v" || !eng.Extra.Equal(importTrees()[0].Extra) ||
		len(eng.SubGroups) != 1 || eng.SubGroups[0].Path != "/eng/backend" || !slices.Equal(eng.SubGroups[0].Members, []string{"u2"}) ||
		len(eng.SubGroups[0].SubGroups) != 1 || eng.SubGroups[0].SubGroups[0].Description != "databases" {
		t.Fatalf("exported /eng = %+v", eng)
	}
}

// A failing import changes nothing, whatever part of it fails.
func testImportGroupsIsAllOrNothing(t *testing.T, f *fixture) {
	f.client("acme", "c-1", "app")
	f.role("acme", "", "dev")
	f.role("acme", "c-1", "reader")
	f.group("acme", "", "ops")
	for _, tt := range []struct {
		name  string
		edit  func([]rbac.GroupTree) []rbac.GroupTree
		code  iam.Code
		field string
	}{
		{"ExistingTopLevelName", func(g []rbac.GroupTree) []rbac.GroupTree { return g }, iam.CodeConflict, "name"},
		{"UnknownRole", func(g []rbac.GroupTree) []rbac.GroupTree {
			g[1].Name, g[0].SubGroups[0].RealmRoles = "ops2", []string{"nope"}
			return g
		}, iam.CodeNotFound, "groups[0].subGroups[0].realmRoles"},
		{"UnknownClient", func(g []rbac.GroupTree) []rbac.GroupTree {
			g[1].Name, g[0].ClientRoles = "ops2", map[string][]string{"nope": {"reader"}}
			return g
		}, iam.CodeNotFound, "groups[0].clientRoles"},
		{"InvalidNameDeepDown", func(g []rbac.GroupTree) []rbac.GroupTree {
			g[1].Name, g[0].SubGroups[0].SubGroups[0].Name = "ops2", "a/b"
			return g
		}, iam.CodeInvalid, "groups[0].subGroups[0].subGroups[0].name"},
		{"DuplicateSiblingsInTheImport", func(g []rbac.GroupTree) []rbac.GroupTree {
			g[1].Name = "eng"
			return g
		}, iam.CodeConflict, "name"},
	} {
		_, err := f.svc.ImportGroups(f.ctx, "acme", tt.edit(importTrees()))
		if iam.ErrorCode(err) != tt.code || iam.ErrorField(err) != tt.field {
			t.Errorf("%s: err = %v (field %q), want %s %s", tt.name, err, iam.ErrorField(err), tt.code, tt.field)
		}
		equal(t, tt.name+": groups after", f.groups("acme", rbac.GroupFilter{}), []string{"/ops"})
		equal(t, tt.name+": u1's groups", f.groups("acme", rbac.GroupFilter{Member: "u1"}), nil)
	}
}

func testGroupEvents(t *testing.T, f *fixture) {
	r := f.role("acme", "", "r")
	top := f.group("acme", "", "top")
	sub := f.group("acme", top.ID, "sub")
	f.grantGroup("acme", sub, r)
	f.join("acme", "u1", sub)
	if _, err := f.svc.UpdateGroup(f.ctx, "acme", top.ID, rbac.GroupUpdate{Name: ptr("renamed")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.CreateGroup(f.ctx, "acme", rbac.Group{Name: "renamed"}); iam.ErrorCode(err) != iam.CodeConflict {
		t.Fatalf("duplicate: %v", err) // records nothing
	}
	if _, err := f.svc.MoveGroup(f.ctx, "acme", sub.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.LeaveGroup(f.ctx, "acme", "u1", sub.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.MoveGroup(f.ctx, "acme", sub.ID, top.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.DeleteGroup(f.ctx, "acme", top.ID); err != nil {
		t.Fatal(err)
	}
	var got []string
	var data []rbac.GroupEvent
	for _, e := range f.h.Events(t) {
		if e.Type == iam.TopicRoleCreated {
			continue
		}
		got = append(got, e.Type+" "+e.Subject)
		var d rbac.GroupEvent
		if e.Decode(&d) == nil && d.Path != "" {
			data = append(data, d)
		}
	}
	want := []string{
		iam.TopicGroupCreated + " " + top.ID, iam.TopicGroupCreated + " " + sub.ID,
		iam.TopicGroupRoleMappingChanged + " " + sub.ID, iam.TopicGroupMemberAdded + " u1",
		iam.TopicGroupUpdated + " " + top.ID, iam.TopicGroupMoved + " " + sub.ID,
		iam.TopicGroupMemberRemoved + " u1", iam.TopicGroupMoved + " " + sub.ID,
		iam.TopicGroupDeleted + " " + top.ID, iam.TopicGroupDeleted + " " + sub.ID,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("recorded\n%v\nwant\n%v", got, want)
	}
	renamed, moved := data[2], data[3] // after the two group.created
	if renamed.Path != "/renamed" || renamed.PreviousPath != "/top" ||
		moved.Path != "/sub" || moved.PreviousPath != "/renamed/sub" || moved.PreviousParentID != top.ID {
		t.Fatalf("rename = %+v, move = %+v", renamed, moved)
	}
}
