package rbactest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// group creates a group named name under parent ("" for the top level).
func (f *fixture) group(realm iam.Realm, parent, name string) rbac.Group {
	f.t.Helper()
	g, err := f.svc.CreateGroup(f.ctx, realm, rbac.Group{Name: name, ParentID: parent})
	if err != nil {
		f.t.Fatalf("CreateGroup(%s, %q): %v", realm, name, err)
	}
	return g
}

// getGroup reads a group by id.
func (f *fixture) getGroup(realm iam.Realm, id string) rbac.Group {
	f.t.Helper()
	g, err := f.svc.GetGroup(f.ctx, realm, id)
	if err != nil {
		f.t.Fatalf("GetGroup(%s): %v", id, err)
	}
	return g
}

// groups lists the paths of the groups f selects.
func (f *fixture) groups(realm iam.Realm, filter rbac.GroupFilter) []string {
	f.t.Helper()
	gs, err := f.svc.ListGroups(f.ctx, realm, filter)
	if err != nil {
		f.t.Fatalf("ListGroups(%+v): %v", filter, err)
	}
	return paths(gs)
}

// join makes userID a member of g.
func (f *fixture) join(realm iam.Realm, userID string, g rbac.Group) {
	f.t.Helper()
	if err := f.svc.JoinGroup(f.ctx, realm, userID, g.ID); err != nil {
		f.t.Fatalf("JoinGroup(%s, %s): %v", userID, g.Path, err)
	}
}

// grantGroup maps roles to g.
func (f *fixture) grantGroup(realm iam.Realm, g rbac.Group, roles ...rbac.Role) {
	f.t.Helper()
	if err := f.svc.AddGroupRoles(f.ctx, realm, g.ID, ids(roles)...); err != nil {
		f.t.Fatalf("AddGroupRoles(%s): %v", g.Path, err)
	}
}

func paths(groups []rbac.Group) []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.Path
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func testGroupLifecycle(t *testing.T, f *fixture) {
	top := f.group("acme", "", "top")
	sub := f.group("acme", top.ID, "sub")
	leaf := f.group("acme", sub.ID, "leaf")
	if top.Path != "/top" || sub.Path != "/top/sub" || leaf.Path != "/top/sub/leaf" || sub.ParentID != top.ID {
		t.Fatalf("paths = %q %q %q, sub.ParentID = %q", top.Path, sub.Path, leaf.Path, sub.ParentID)
	}
	if got := f.getGroup("acme", top.ID); got.SubGroupCount != 1 || got.Name != "top" || got.Realm != "acme" || got.CreatedAt.IsZero() {
		t.Fatalf("top = %+v", got)
	}
	byPath, err := f.svc.GroupByPath(f.ctx, "acme", "top/sub/") // Keycloak's lenient spelling
	if err != nil || byPath.ID != sub.ID {
		t.Fatalf("GroupByPath = %+v, %v", byPath, err)
	}
	equal(t, "top level", f.groups("acme", rbac.GroupFilter{Parent: ptr("")}), []string{"/top"})
	equal(t, "children of top", f.groups("acme", rbac.GroupFilter{Parent: &top.ID}), []string{"/top/sub"})
	equal(t, "subtree of sub", f.groups("acme", rbac.GroupFilter{Subtree: "/top/sub"}), []string{"/top/sub/leaf", "/top/sub"})

	extra := iam.Extra{"access": json.RawMessage(`{"view":true}`)}
	u := rbac.GroupUpdate{Name: ptr("renamed"), Description: ptr("the top"),
		Attributes: &map[string][]string{"k": {"v1", "v2"}}, Extra: extra}
	if _, err := f.svc.UpdateGroup(f.ctx, "acme", top.ID, u); err != nil {
		t.Fatal(err)
	}
	got := f.getGroup("acme", top.ID)
	if got.Path != "/renamed" || got.Description != "the top" || !slices.Equal(got.Attributes["k"], []string{"v1", "v2"}) || !got.Extra.Equal(extra) {
		t.Fatalf("updated = %+v", got)
	}
	if p := f.getGroup("acme", leaf.ID).Path; p != "/renamed/sub/leaf" {
		t.Fatalf("a rename left the subtree at %q", p)
	}
	if _, err := f.svc.GroupByPath(f.ctx, "acme", "/top/sub"); !isNotFound(err) {
		t.Fatalf("old path still found: %v", err)
	}
	if err := f.svc.DeleteGroup(f.ctx, "acme", top.ID); err != nil {
		t.Fatal(err)
	}
	for _, g := range []rbac.Group{top, sub, leaf} {
		_, err := f.svc.GetGroup(f.ctx, "acme", g.ID)
		code(t, "deleted "+g.Name, err, iam.CodeNotFound)
	}
	code(t, "delete again", f.svc.DeleteGroup(f.ctx, "acme", top.ID), iam.CodeNotFound)
}

func testGroupValidation(t *testing.T, f *fixture) {
	for _, tt := range []struct {
		name  string
		group rbac.Group
		field string
	}{
		{"EmptyName", rbac.Group{Name: " "}, "name"},
		{"SlashInName", rbac.Group{Name: "a/b"}, "name"},
		{"ControlCharacter", rbac.Group{Name: "a\x01"}, "name"},
		{"LongDescription", rbac.Group{Name: "a", Description: string(make([]byte, rbac.MaxDescriptionLength+1))}, "description"},
		{"EmptyAttributeName", rbac.Group{Name: "a", Attributes: map[string][]string{"": {"v"}}}, "attributes"},
	} {
		_, err := f.svc.CreateGroup(f.ctx, "acme", tt.group)
		if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != tt.field {
			t.Errorf("%s: err = %v, want invalid %s", tt.name, err, tt.field)
		}
	}
	_, err := f.svc.CreateGroup(f.ctx, "acme", rbac.Group{Name: "orphan", ParentID: iam.NewID()})
	code(t, "unknown parent", err, iam.CodeNotFound)
	_, err = f.svc.GroupByPath(f.ctx, "acme", "//")
	code(t, "empty path", err, iam.CodeNotFound)
}

func testSiblingNamesAreUnique(t *testing.T, f *fixture) {
	a := f.group("acme", "", "a")
	b := f.group("acme", "", "b")
	f.group("acme", a.ID, "x")
	f.group("acme", b.ID, "x") // another parent: allowed
	_, err := f.svc.CreateGroup(f.ctx, "acme", rbac.Group{Name: "a"})
	if iam.ErrorCode(err) != iam.CodeConflict || iam.ErrorField(err) != "name" || iam.ErrorMessage(err) != "Top level group named 'a' already exists." {
		t.Fatalf("duplicate top-level: %v", err)
	}
	_, err = f.svc.CreateGroup(f.ctx, "acme", rbac.Group{Name: "x", ParentID: a.ID})
	if iam.ErrorCode(err) != iam.CodeConflict || iam.ErrorMessage(err) != "Sibling group named 'x' already exists." {
		t.Fatalf("duplicate sibling: %v", err)
	}
	_, err = f.svc.UpdateGroup(f.ctx, "acme", b.ID, rbac.GroupUpdate{Name: ptr("a")})
	code(t, "rename to a sibling's name", err, iam.CodeConflict)
	bx := f.groups("acme", rbac.GroupFilter{Parent: &b.ID})
	x, err := f.svc.GroupByPath(f.ctx, "acme", bx[0])
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.MoveGroup(f.ctx, "acme", x.ID, a.ID)
	code(t, "move next to a sibling of the same name", err, iam.CodeConflict)
	if p := f.getGroup("acme", x.ID).Path; p != "/b/x" {
		t.Fatalf("a refused move left the group at %q", p)
	}
}

func testMoveGroup(t *testing.T, f *fixture) {
	a := f.group("acme", "", "a")
	b := f.group("acme", "", "b")
	sub := f.group("acme", a.ID, "sub")
	leaf := f.group("acme", sub.ID, "leaf")

	moved, err := f.svc.MoveGroup(f.ctx, "acme", sub.ID, b.ID)
	if err != nil || moved.Path != "/b/sub" || moved.ParentID != b.ID {
		t.Fatalf("MoveGroup = %+v, %v", moved, err)
	}
	if p := f.getGroup("acme", leaf.ID).Path; p != "/b/sub/leaf" {
		t.Fatalf("leaf at %q after its parent moved", p)
	}
	if n := f.getGroup("acme", a.ID).SubGroupCount; n != 0 {
		t.Fatalf("old parent has %d subgroups", n)
	}
	if moved, err = f.svc.MoveGroup(f.ctx, "acme", sub.ID, ""); err != nil || moved.Path != "/sub" || moved.ParentID != "" {
		t.Fatalf("move to the top = %+v, %v", moved, err)
	}
	for _, target := range []string{sub.ID, leaf.ID} {
		_, err := f.svc.MoveGroup(f.ctx, "acme", sub.ID, target)
		if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "parentId" {
			t.Fatalf("move under itself or a subgroup: %v", err)
		}
	}
	_, err = f.svc.MoveGroup(f.ctx, "acme", sub.ID, iam.NewID())
	code(t, "move under an unknown group", err, iam.CodeNotFound)
	equal(t, "groups", f.groups("acme", rbac.GroupFilter{}), []string{"/a", "/b", "/sub/leaf", "/sub"})
}

func testGroupSearch(t *testing.T, f *fixture) {
	eng := f.group("acme", "", "Engineering")
	f.group("acme", eng.ID, "Backend")
	f.group("acme", "", "Sales")
	if _, err := f.svc.UpdateGroup(f.ctx, "acme", eng.ID, rbac.GroupUpdate{
		Attributes: &map[string][]string{"site": {"paris", "lyon"}, "cost": {"42"}}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name   string
		filter rbac.GroupFilter
		want   []string
	}{
		{"SearchIgnoresCase", rbac.GroupFilter{Search: "END"}, []string{"/Engineering/Backend"}},
		{"ExactMatchesWholeName", rbac.GroupFilter{Search: "Sales", Exact: true}, []string{"/Sales"}},
		{"ExactIsCaseSensitive", rbac.GroupFilter{Search: "sales", Exact: true}, nil},
		{"AttributesMatchOneValueEach", rbac.GroupFilter{Attributes: map[string]string{"site": "lyon", "cost": "42"}}, []string{"/Engineering"}},
		{"AttributeValueMustMatch", rbac.GroupFilter{Attributes: map[string]string{"site": "rome"}}, nil},
		{"OrderedByNameAndPaged", rbac.GroupFilter{First: 1, Max: 1}, []string{"/Engineering"}},
	} {
		if got := f.groups("acme", tt.filter); !slices.Equal(got, tt.want) && (len(got) != 0 || len(tt.want) != 0) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	n, err := f.svc.CountGroups(f.ctx, "acme", rbac.GroupFilter{Parent: ptr(""), Max: 1})
	if err != nil || n != 2 {
		t.Fatalf("count of top-level groups = %d, %v (paging ignored)", n, err)
	}
	_, err = f.svc.ListGroups(f.ctx, "acme", rbac.GroupFilter{Parent: ptr(iam.NewID())})
	code(t, "children of an unknown group", err, iam.CodeNotFound)
}

func testConcurrentGroupUpdates(t *testing.T, f *fixture) {
	g := f.group("acme", "", "g")
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			_, err := f.st.UpdateGroup(f.ctx, "acme", g.ID, func(x *rbac.Group) ([]iam.Event, error) {
				x.Attributes["n"] = append(x.Attributes["n"], fmt.Sprint(i))
				return nil, nil
			})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.getGroup("acme", g.ID).Attributes["n"]; len(got) != n {
		t.Fatalf("%d of %d concurrent updates kept: %v", len(got), n, got)
	}
}

// Renames and moves rewrite the paths of whole subtrees while groups are
// created inside them: every path must end up matching the tree.
func testConcurrentTreeChangesKeepPaths(t *testing.T, f *fixture) {
	a := f.group("acme", "", "a")
	b := f.group("acme", "", "b")
	sub := f.group("acme", a.ID, "sub")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 8 {
		wg.Go(func() {
			_, err := f.svc.CreateGroup(f.ctx, "acme", rbac.Group{Name: fmt.Sprint("c", i), ParentID: sub.ID})
			errs <- err
		})
		wg.Go(func() {
			_, err := f.svc.UpdateGroup(f.ctx, "acme", a.ID, rbac.GroupUpdate{Name: ptr(fmt.Sprint("a", i))})
			errs <- err
		})
		wg.Go(func() {
			parent := a.ID
			if i%2 == 0 {
				parent = b.ID
			}
			_, err := f.svc.MoveGroup(f.ctx, "acme", sub.ID, parent)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	all, err := f.svc.ListGroups(f.ctx, "acme", rbac.GroupFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]rbac.Group{}
	for _, g := range all {
		byID[g.ID] = g
	}
	for _, g := range all {
		want := rbac.GroupPath("", g.Name)
		if g.ParentID != "" {
			want = rbac.GroupPath(byID[g.ParentID].Path, g.Name)
		}
		if g.Path != want {
			t.Errorf("group %s has path %q, its place in the tree says %q", g.Name, g.Path, want)
		}
	}
	if len(all) != 11 {
		t.Fatalf("%d groups, want 11", len(all))
	}
}

func testGroupRealmIsolation(t *testing.T, f *fixture) {
	g := f.group("acme", "", "g")
	other := f.group("other", "", "g") // the same name in another realm
	f.join("acme", "u1", g)
	_, err := f.svc.GetGroup(f.ctx, "other", g.ID)
	code(t, "another realm's group by id", err, iam.CodeNotFound)
	code(t, "joining another realm's group", f.svc.JoinGroup(f.ctx, "other", "u1", g.ID), iam.CodeNotFound)
	_, err = f.svc.MoveGroup(f.ctx, "acme", g.ID, other.ID)
	code(t, "moving under another realm's group", err, iam.CodeNotFound)
	code(t, "deleting another realm's group", f.svc.DeleteGroup(f.ctx, "other", g.ID), iam.CodeNotFound)
	equal(t, "u1's groups in other", f.groups("other", rbac.GroupFilter{Member: "u1"}), nil)

	for range 2 {
		if err := f.svc.DeleteRealm(f.ctx, "acme"); err != nil {
			t.Fatal(err)
		}
	}
	equal(t, "acme's groups", f.groups("acme", rbac.GroupFilter{}), nil)
	equal(t, "u1's groups in acme", f.groups("acme", rbac.GroupFilter{Member: "u1"}), nil)
	equal(t, "other's groups", f.groups("other", rbac.GroupFilter{}), []string{"/g"})
}
