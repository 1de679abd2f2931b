package rbachttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/users"
)

const groups = "/admin/realms/acme/groups"

// seedGroups makes /eng (realm role low, app/read) with /eng/backend (role
// spare) and /eng/backend/db, /ops, and returns their ids by path.
func seedGroups(t *testing.T, e *env) map[string]string {
	t.Helper()
	seed(t, e)
	ids := map[string]string{}
	ids["/eng"] = groupID(t, e.must(http.StatusCreated, "POST", groups, `{"name":"eng","attributes":{"site":["paris"]}}`))
	ids["/ops"] = groupID(t, e.must(http.StatusCreated, "POST", groups, `{"name":"ops"}`))
	ids["/eng/backend"] = groupID(t, e.must(http.StatusCreated, "POST", groups+"/"+ids["/eng"]+"/children", `{"name":"backend"}`))
	ids["/eng/backend/db"] = groupID(t, e.must(http.StatusCreated, "POST", groups+"/"+ids["/eng/backend"]+"/children", `{"name":"db"}`))
	e.must(http.StatusNoContent, "POST", groups+"/"+ids["/eng"]+"/role-mappings/realm", `[{"name":"low"}]`)
	e.must(http.StatusNoContent, "POST", groups+"/"+ids["/eng"]+"/role-mappings/clients/c-1", `[{"name":"read"}]`)
	e.must(http.StatusNoContent, "POST", groups+"/"+ids["/eng/backend"]+"/role-mappings/realm", `[{"name":"spare"}]`)
	return ids
}

// groupList decodes an array of groups.
func (e *env) groupList(path string) []map[string]any {
	e.t.Helper()
	var out []map[string]any
	e.must(http.StatusOK, "GET", path, nil).decode(e.t, &out)
	return out
}

func TestGroupRepresentations(t *testing.T) {
	e := newEnv(t)
	ids := seedGroups(t, e)

	// Top-level groups, brief by default: no attributes nor roles.
	top := e.groupList(groups)
	if len(top) != 2 || top[0]["name"] != "eng" || top[0]["path"] != "/eng" || top[0]["subGroupCount"] != 1.0 ||
		top[1]["name"] != "ops" || top[1]["subGroupCount"] != 0.0 {
		t.Fatalf("GET /groups = %v", top)
	}
	if _, ok := top[0]["attributes"]; ok || len(top[0]["subGroups"].([]any)) != 0 {
		t.Fatalf("a brief group has attributes or subgroups: %v", top[0])
	}
	if full := e.groupList(groups + "?briefRepresentation=false&first=0&max=1"); len(full) != 1 ||
		full[0]["attributes"].(map[string]any)["site"] == nil || full[0]["realmRoles"].([]any)[0] != "low" ||
		full[0]["clientRoles"].(map[string]any)["app"].([]any)[0] != "read" {
		t.Fatalf("full, paged = %v", full)
	}

	// One group: full, with Keycloak's fields.
	var sub rbachttp.GroupRepresentation
	e.must(http.StatusOK, "GET", groups+"/"+ids["/eng/backend"], nil).decode(t, &sub)
	if sub.Path != "/eng/backend" || sub.ParentID != ids["/eng"] || *sub.SubGroupCount != 1 ||
		!slices.Equal(*sub.RealmRoles, []string{"spare"}) || len(*sub.ClientRoles) != 0 || sub.Attributes == nil {
		t.Fatalf("GET /groups/{id} = %+v", sub)
	}

	// Children: full by default, ten at a time.
	children := e.groupList(groups + "/" + ids["/eng"] + "/children")
	if len(children) != 1 || children[0]["path"] != "/eng/backend" || children[0]["realmRoles"] == nil {
		t.Fatalf("children = %v", children)
	}

	// A search answers the hierarchy down to the matches.
	found := e.groupList(groups + "?search=DB")
	if len(found) != 1 || found[0]["name"] != "eng" {
		t.Fatalf("search = %v", found)
	}
	backend := found[0]["subGroups"].([]any)[0].(map[string]any)
	if backend["name"] != "backend" || backend["subGroups"].([]any)[0].(map[string]any)["path"] != "/eng/backend/db" {
		t.Fatalf("search hierarchy = %v", found)
	}
	if flat := e.groupList(groups + "?search=DB&populateHierarchy=false"); len(flat) != 1 || flat[0]["path"] != "/eng/backend/db" {
		t.Fatalf("flat search = %v", flat)
	}
	if q := e.groupList(groups + "?q=site:paris"); len(q) != 1 || q[0]["name"] != "eng" {
		t.Fatalf("attribute query = %v", q)
	}

	// By path: full, with the whole subtree.
	var byPath rbachttp.GroupRepresentation
	e.must(http.StatusOK, "GET", "/admin/realms/acme/group-by-path/eng", nil).decode(t, &byPath)
	if byPath.ID != ids["/eng"] || len(byPath.SubGroups) != 1 || len(byPath.SubGroups[0].SubGroups) != 1 ||
		byPath.SubGroups[0].SubGroups[0].Path != "/eng/backend/db" {
		t.Fatalf("group-by-path = %+v", byPath)
	}
	e.must(http.StatusOK, "GET", "/admin/realms/acme/group-by-path//eng/backend/db", nil)
	e.must(http.StatusNotFound, "GET", "/admin/realms/acme/group-by-path/eng/nope", nil)

	for path, want := range map[string]int{"/count": 4, "/count?top=true": 2, "/count?search=E": 2} {
		var c rbachttp.CountRepresentation
		if e.must(http.StatusOK, "GET", groups+path, nil).decode(t, &c); c.Count != want {
			t.Errorf("GET %s = %d, want %d", path, c.Count, want)
		}
	}
}

func TestGroupWrites(t *testing.T) {
	e := newEnv(t)
	ids := seedGroups(t, e)
	eng := groups + "/" + ids["/eng"]

	// A child's creation answers its representation and an absolute
	// Location under /groups, as Keycloak.
	r := e.must(http.StatusCreated, "POST", eng+"/children", `{"name":"frontend","description":"web"}`)
	var child rbachttp.GroupRepresentation
	r.decode(t, &child)
	if loc := r.header.Get("Location"); loc != e.srv.URL+groups+"/"+child.ID || child.Path != "/eng/frontend" || child.Description != "web" {
		t.Fatalf("Location %q, child %+v", loc, child)
	}

	// PUT changes what it sends; a rename moves the subtree's paths.
	e.must(http.StatusNoContent, "PUT", eng, `{"name":"engineering"}`)
	var got rbachttp.GroupRepresentation
	e.must(http.StatusOK, "GET", eng, nil).decode(t, &got)
	if got.Name != "engineering" || (*got.Attributes)["site"][0] != "paris" {
		t.Fatalf("after a rename = %+v", got)
	}
	e.must(http.StatusOK, "GET", "/admin/realms/acme/group-by-path/engineering/backend/db", nil)

	// POST with an existing group's id moves it (204): under another group
	// through /children, to the top through /groups.
	db := ids["/eng/backend/db"]
	e.must(http.StatusNoContent, "POST", groups+"/"+ids["/ops"]+"/children", `{"id":"`+db+`","name":"db"}`)
	e.must(http.StatusOK, "GET", "/admin/realms/acme/group-by-path/ops/db", nil)
	e.must(http.StatusNoContent, "POST", groups, `{"id":"`+db+`","name":"db"}`)
	e.must(http.StatusOK, "GET", "/admin/realms/acme/group-by-path/db", nil)

	// Deleting a group deletes its subgroups.
	e.must(http.StatusNoContent, "DELETE", eng, nil)
	e.must(http.StatusNotFound, "GET", groups+"/"+ids["/eng/backend"], nil)
	if left := e.groupList(groups); len(left) != 2 {
		t.Fatalf("groups left = %v", left)
	}
}

// Keycloak's fields OpenGate does not implement are kept verbatim; its
// read-only ones are ignored; a field in none of Keycloak's is refused.
func TestGroupRepresentationIsLenient(t *testing.T) {
	e := newEnv(t)
	id := groupID(t, e.must(http.StatusCreated, "POST", groups,
		`{"name":"g","access":{"view":true,"manage":false},"subGroupCount":"3","realmRoles":["none"],"path":"/elsewhere"}`))
	var got map[string]any
	e.must(http.StatusOK, "GET", groups+"/"+id, nil).decode(t, &got)
	if access, _ := json.Marshal(got["access"]); string(access) != `{"manage":false,"view":true}` ||
		got["path"] != "/g" || got["subGroupCount"] != 0.0 || len(got["realmRoles"].([]any)) != 0 {
		t.Fatalf("GET after POST = %v", got)
	}
	e.must(http.StatusNoContent, "PUT", groups+"/"+id, `{"description":"d"}`)
	e.must(http.StatusOK, "GET", groups+"/"+id, nil).decode(t, &got)
	if got["description"] != "d" || got["access"] == nil || got["name"] != "g" {
		t.Fatalf("a partial PUT lost fields: %v", got)
	}
	r := e.admin("POST", groups, `{"name":"h","colour":"red"}`)
	if b := r.errorBody(t); r.status != 400 || b.Field != "colour" || !strings.Contains(b.ErrorDescription, "colour") {
		t.Fatalf("unknown field = %d %s", r.status, r.body)
	}
}

func TestGroupErrors(t *testing.T) {
	e := newEnv(t)
	ids := seedGroups(t, e)
	eng, backend := groups+"/"+ids["/eng"], groups+"/"+ids["/eng/backend"]
	missing := groups + "/" + iam.NewID()
	tests := []struct {
		name, method, path string
		body               any
		status             int
		field, message     string
	}{
		{"DuplicateTopLevel", "POST", groups, `{"name":"eng"}`, 409, "name", "Top level group named 'eng' already exists."},
		{"DuplicateSibling", "POST", eng + "/children", `{"name":"backend"}`, 409, "name", "Sibling group named 'backend' already exists."},
		{"RenameOntoSibling", "PUT", eng, `{"name":"ops"}`, 409, "name", "Top level group named 'ops' already exists."},
		{"MissingName", "POST", groups, `{"description":"x"}`, 400, "name", "Group name is missing"},
		{"BlankRename", "PUT", eng, `{"name":" "}`, 400, "name", "Group name is missing"},
		{"SlashInName", "POST", groups, `{"name":"a/b"}`, 400, "name", ""},
		{"MoveUnderItsSubgroup", "POST", backend + "/children", `{"id":"` + ids["/eng"] + `"}`, 400, "parentId", ""},
		{"MoveUnknownGroup", "POST", groups, `{"id":"` + iam.NewID() + `"}`, 404, "", ""},
		{"UpdateIDMismatch", "PUT", eng, `{"id":"` + ids["/ops"] + `"}`, 400, "id", ""},
		{"MissingGroup", "GET", missing, nil, 404, "", "Could not find group by id"},
		{"ChildrenOfMissingGroup", "GET", missing + "/children", nil, 404, "", ""},
		{"MembersOfMissingGroup", "GET", missing + "/members", nil, 404, "", ""},
		{"MappingsOfMissingGroup", "GET", missing + "/role-mappings/realm/composite", nil, 404, "", ""},
		{"JoinMissingGroup", "PUT", "/admin/realms/acme/users/u1/groups/" + iam.NewID(), nil, 404, "", ""},
		{"MapMissingRole", "POST", eng + "/role-mappings/realm", `[{"name":"nope"}]`, 404, "", ""},
		{"BadBoolean", "GET", groups + "?briefRepresentation=maybe", nil, 400, "briefRepresentation", ""},
		{"BadQuery", "GET", groups + "?q=nocolon", nil, 400, "q", ""},
		{"BadUserID", "GET", "/admin/realms/acme/users/a%20b/groups", nil, 400, "id", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.admin(tt.method, tt.path, tt.body)
			b := r.errorBody(t)
			if r.status != tt.status || b.Field != tt.field || (tt.message != "" && b.ErrorMessage != tt.message) {
				t.Fatalf("%s %s = %d %s, want %d field %q %q", tt.method, tt.path, r.status, r.body, tt.status, tt.field, tt.message)
			}
		})
	}
}

func TestGroupRoleMappingsAreInherited(t *testing.T) {
	e := newEnv(t)
	ids := seedGroups(t, e)
	db := groups + "/" + ids["/eng/backend/db"] + "/role-mappings"
	check := func(path string, want ...string) {
		t.Helper()
		if got := repNames(e.roles("GET", path)); !slices.Equal(got, want) {
			t.Fatalf("GET %s = %v, want %v", path, got, want)
		}
	}
	check(db + "/realm")
	check(db+"/realm/composite", "low", "spare")
	check(db+"/clients/c-1/composite", "read")
	check(db+"/realm/available", "mid", "top")
	check(db+"/clients/c-1/available", "write")
	var all rbachttp.MappingsRepresentation
	e.must(http.StatusOK, "GET", groups+"/"+ids["/eng"]+"/role-mappings", nil).decode(t, &all)
	if len(all.RealmMappings) != 1 || all.ClientMappings["app"].ID != "c-1" {
		t.Fatalf("role-mappings = %+v", all)
	}

	// A member of /eng/backend/db holds what the groups above it hold.
	e.must(http.StatusNoContent, "PUT", "/admin/realms/acme/users/u1/groups/"+ids["/eng/backend/db"], nil)
	check("/admin/realms/acme/users/u1/role-mappings/realm/composite", "low", "spare")
	e.must(http.StatusNoContent, "DELETE", groups+"/"+ids["/eng/backend"]+"/role-mappings/realm", nil) // every realm role
	check("/admin/realms/acme/users/u1/role-mappings/realm/composite", "low")
	check("/admin/realms/acme/users/u1/role-mappings/realm") // no direct mapping
}

// fakeUsers is a UserGetter over a map.
type fakeUsers map[string]users.User

func (f fakeUsers) Get(_ context.Context, _ iam.Realm, id string) (users.User, error) {
	u, ok := f[id]
	if !ok {
		return users.User{}, iam.NotFoundf("user not found")
	}
	return u, nil
}

func TestGroupMembers(t *testing.T) {
	people := fakeUsers{}
	for _, name := range []string{"ann", "bob", "cat"} {
		people["id-"+name] = users.User{ID: "id-" + name, Realm: "acme", Username: name, Enabled: true,
			Attributes: map[string][]string{"team": {"x"}}, CreatedAt: time.Now()}
	}
	e := newEnv(t, rbachttp.WithUsers(people))
	ids := seedGroups(t, e)
	eng := ids["/eng"]
	for _, u := range []string{"id-cat", "id-ann", "id-bob", "id-ann"} { // joining twice is no error
		e.must(http.StatusNoContent, "PUT", "/admin/realms/acme/users/"+u+"/groups/"+eng, nil)
	}
	e.must(http.StatusNoContent, "PUT", "/admin/realms/acme/users/id-ann/groups/"+ids["/ops"], nil)
	e.must(http.StatusNotFound, "PUT", "/admin/realms/acme/users/nobody/groups/"+eng, nil)

	var members []map[string]any
	e.must(http.StatusOK, "GET", groups+"/"+eng+"/members?first=1&max=2", nil).decode(t, &members)
	if len(members) != 2 || members[0]["username"] != "bob" || members[1]["username"] != "cat" || members[0]["attributes"] == nil {
		t.Fatalf("members = %v", members)
	}
	members = nil
	e.must(http.StatusOK, "GET", groups+"/"+eng+"/members?briefRepresentation=true", nil).decode(t, &members)
	if len(members) != 3 || members[0]["attributes"] != nil {
		t.Fatalf("brief members = %v", members)
	}

	ann := "/admin/realms/acme/users/id-ann/groups"
	if mine := e.groupList(ann); len(mine) != 2 || mine[0]["path"] != "/eng" || mine[0]["attributes"] != nil {
		t.Fatalf("ann's groups = %v", mine)
	}
	if mine := e.groupList(ann + "?search=OP&briefRepresentation=false"); len(mine) != 1 || mine[0]["attributes"] == nil {
		t.Fatalf("ann's groups matching OP = %v", mine)
	}
	var c rbachttp.CountRepresentation
	if e.must(http.StatusOK, "GET", ann+"/count", nil).decode(t, &c); c.Count != 2 {
		t.Fatalf("ann's group count = %d", c.Count)
	}
	for range 2 { // leaving is idempotent
		e.must(http.StatusNoContent, "DELETE", ann+"/"+eng, nil)
	}
	if e.must(http.StatusOK, "GET", ann+"/count", nil).decode(t, &c); c.Count != 1 {
		t.Fatalf("ann's group count after leaving = %d", c.Count)
	}
	e.must(http.StatusNotFound, "GET", "/admin/realms/acme/users/nobody/groups", nil)
}

// Groups follow the escalation rule: a master realm-admin can neither
// join a group holding master's admin role nor give a group that role.
func TestGroupsCannotEscalate(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	if err := e.svc.EnsureRealmDefaults(ctx, iam.MasterRealm); err != nil {
		t.Fatal(err)
	}
	for user, role := range map[string]string{"root": iam.RoleAdmin, "mra": iam.RoleRealmAdmin} {
		if err := e.svc.AssignRealmRoles(ctx, iam.MasterRealm, user, role); err != nil {
			t.Fatal(err)
		}
	}
	const mg = "/admin/realms/master/groups"
	admins := groupID(t, e.must(http.StatusCreated, "POST", mg, `{"name":"admins"}`))
	sub := groupID(t, e.must(http.StatusCreated, "POST", mg+"/"+admins+"/children", `{"name":"sub"}`))
	plain := groupID(t, e.must(http.StatusCreated, "POST", mg, `{"name":"plain"}`))
	e.must(http.StatusNoContent, "POST", mg+"/"+admins+"/role-mappings/realm", `[{"name":"admin"}]`)
	for _, tt := range []struct{ name, method, path, body string }{
		{"JoinASubgroup", "PUT", "/admin/realms/master/users/mra/groups/" + sub, ""},
		{"MapAdminToAGroup", "POST", mg + "/" + plain + "/role-mappings/realm", `[{"name":"admin"}]`},
		{"MoveOwnGroupUnderAdmins", "POST", mg + "/" + admins + "/children", `{"id":"` + plain + `"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			if tt.body != "" {
				body = tt.body
			}
			if tt.name == "MoveOwnGroupUnderAdmins" {
				e.must(http.StatusNoContent, "PUT", "/admin/realms/master/users/mra/groups/"+plain, nil)
			}
			r := e.call("master-realm-admin", tt.method, tt.path, body)
			if r.status != http.StatusForbidden {
				t.Fatalf("%s %s as master realm-admin = %d %s, want 403", tt.method, tt.path, r.status, r.body)
			}
		})
	}
	if ok, err := e.svc.HasRole(ctx, iam.MasterRealm, "mra", iam.RoleAdmin); err != nil || ok {
		t.Fatalf("master realm-admin holds admin: %v, %v", ok, err)
	}
	// The master administrator may.
	e.must(http.StatusNoContent, "PUT", "/admin/realms/master/users/mra/groups/"+sub, nil)
	if ok, _ := e.svc.HasRole(ctx, iam.MasterRealm, "mra", iam.RoleAdmin); !ok {
		t.Fatal("a member of a subgroup of admins does not hold admin")
	}
}
