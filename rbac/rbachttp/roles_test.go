package rbachttp_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
)

func TestRealmRoleLifecycle(t *testing.T) {
	e := newEnv(t)
	created := e.must(http.StatusCreated, "POST", "/admin/realms/acme/roles",
		`{"name":"editor","description":"edits","attributes":{"team":["a"]}}`)
	if loc := created.header.Get("Location"); !strings.HasSuffix(loc, "/admin/realms/acme/roles/editor") {
		t.Fatalf("Location = %q", loc)
	}
	r := e.role("/admin/realms/acme/roles/editor")
	if r.ID == "" || r.Name != "editor" || r.Description == nil || *r.Description != "edits" ||
		r.ClientRole || r.Composite || r.ContainerID != "acme" || r.Attributes["team"][0] != "a" {
		t.Fatalf("role = %+v", r)
	}
	if byID := e.role("/admin/realms/acme/roles-by-id/" + r.ID); byID.Name != "editor" {
		t.Fatalf("by id = %+v", byID)
	}

	// PUT is partial: the description survives a rename.
	e.must(http.StatusNoContent, "PUT", "/admin/realms/acme/roles/editor", `{"name":"author"}`)
	if got := e.role("/admin/realms/acme/roles/author"); got.ID != r.ID || *got.Description != "edits" {
		t.Fatalf("after rename = %+v", got)
	}
	e.must(http.StatusNoContent, "PUT", "/admin/realms/acme/roles-by-id/"+r.ID, `{"description":"","attributes":{}}`)
	if got := e.role("/admin/realms/acme/roles-by-id/" + r.ID); got.Description != nil || len(got.Attributes) != 0 {
		t.Fatalf("after clearing = %+v", got)
	}
	if names := repNames(e.roles("GET", "/admin/realms/acme/roles?search=AUTH")); !slices.Equal(names, []string{"author"}) {
		t.Fatalf("search = %v", names)
	}
	e.must(http.StatusNoContent, "DELETE", "/admin/realms/acme/roles/author", nil)
	e.must(http.StatusNotFound, "GET", "/admin/realms/acme/roles/author", nil)
}

func TestRoleNamesNeedEscapingInPaths(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"with space", "a/b", "100%", "ünï"} {
		t.Run(name, func(t *testing.T) {
			created := e.must(http.StatusCreated, "POST", "/admin/realms/acme/roles", map[string]string{"name": name})
			loc := created.header.Get("Location")
			path := loc[strings.Index(loc, "/admin/"):]
			if got := e.role(path); got.Name != name {
				t.Fatalf("GET %s = %q", path, got.Name)
			}
		})
	}
}

func TestClientRoles(t *testing.T) {
	e := newEnv(t)
	e.must(http.StatusNotFound, "POST", "/admin/realms/acme/clients/c-1/roles", `{"name":"reader"}`)
	if err := e.svc.PutClient(t.Context(), "acme", "c-1", "app"); err != nil {
		t.Fatal(err)
	}
	created := e.must(http.StatusCreated, "POST", "/admin/realms/acme/clients/c-1/roles", `{"name":"reader"}`)
	if loc := created.header.Get("Location"); !strings.HasSuffix(loc, "/clients/c-1/roles/reader") {
		t.Fatalf("Location = %q", loc)
	}
	r := e.role("/admin/realms/acme/clients/c-1/roles/reader")
	if !r.ClientRole || r.ContainerID != "c-1" {
		t.Fatalf("client role = %+v", r)
	}
	e.must(http.StatusNotFound, "GET", "/admin/realms/acme/roles/reader", nil)
	if names := repNames(e.roles("GET", "/admin/realms/acme/clients/c-1/roles")); !slices.Equal(names, []string{"reader"}) {
		t.Fatalf("client roles = %v", names)
	}

	// A realm role created with composites by name, realm and client.
	e.must(http.StatusCreated, "POST", "/admin/realms/acme/roles", `{"name":"base"}`)
	e.must(http.StatusCreated, "POST", "/admin/realms/acme/roles",
		`{"name":"bundle","composites":{"realm":["base"],"client":{"app":["reader"]}}}`)
	bundle := e.role("/admin/realms/acme/roles/bundle")
	if !bundle.Composite {
		t.Fatal("bundle is not composite")
	}
	all := e.roles("GET", "/admin/realms/acme/roles/bundle/composites")
	if names := repNames(all); !slices.Equal(names, []string{"base", "reader"}) {
		t.Fatalf("composites = %v", names)
	}
	if names := repNames(e.roles("GET", "/admin/realms/acme/roles/bundle/composites/realm")); !slices.Equal(names, []string{"base"}) {
		t.Fatalf("realm composites = %v", names)
	}
	if names := repNames(e.roles("GET", "/admin/realms/acme/roles-by-id/"+bundle.ID+"/composites/clients/c-1")); !slices.Equal(names, []string{"reader"}) {
		t.Fatalf("client composites = %v", names)
	}
	e.must(http.StatusNotFound, "POST", "/admin/realms/acme/roles",
		`{"name":"broken","composites":{"client":{"nope":["reader"]}}}`)
	e.must(http.StatusNotFound, "GET", "/admin/realms/acme/roles/broken", nil)
}

func TestCompositesByID(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"a", "b", "c"} {
		e.must(http.StatusCreated, "POST", "/admin/realms/acme/roles", map[string]string{"name": n})
	}
	a, b, c := e.role("/admin/realms/acme/roles/a"), e.role("/admin/realms/acme/roles/b"), e.role("/admin/realms/acme/roles/c")
	e.must(http.StatusNoContent, "POST", "/admin/realms/acme/roles-by-id/"+a.ID+"/composites", ref(b.ID))
	e.must(http.StatusNoContent, "POST", "/admin/realms/acme/roles/b/composites", []map[string]string{{"name": "c"}})
	cycle := e.must(http.StatusBadRequest, "POST", "/admin/realms/acme/roles/c/composites", []rbachttp.RoleRepresentation{a})
	if b := cycle.errorBody(t); b.Field != "composites" || !strings.Contains(b.ErrorDescription, "c → a → b → c") || b.ErrorMessage == "" {
		t.Fatalf("cycle error = %+v", b)
	}
	e.must(http.StatusNoContent, "DELETE", "/admin/realms/acme/roles-by-id/"+a.ID+"/composites", ref(b.ID))
	if got := e.roles("GET", "/admin/realms/acme/roles-by-id/"+a.ID+"/composites"); len(got) != 0 {
		t.Fatalf("composites after delete = %v", repNames(got))
	}
	_ = c
}

// userDirectory is a rbachttp.UserGetter over a map; err, when set, is
// every lookup's answer.
type userDirectory struct {
	users map[string]users.User
	err   error
}

func (d userDirectory) Get(_ context.Context, realm iam.Realm, id string) (users.User, error) {
	if d.err != nil {
		return users.User{}, d.err
	}
	u, ok := d.users[id]
	if !ok || u.Realm != realm {
		return users.User{}, iam.Errorf(iam.CodeNotFound, "user not found")
	}
	return u, nil
}

// With WithUsers the users of a role are Keycloak's UserRepresentations
// (keycloak-admin-client's roles.findUsersWithRole reads their usernames),
// paged by first/max over the role's users; a user deleted since its
// mapping is left out, and a failing user service fails the call.
func TestRoleUsersAreUserRepresentations(t *testing.T) {
	dir := userDirectory{users: map[string]users.User{
		"u1": {ID: "u1", Realm: "acme", Username: "ann", Email: "ann@example.com", Enabled: true},
		"u2": {ID: "u2", Realm: "acme", Username: "bob", Enabled: true},
		"u4": {ID: "u4", Realm: "acme", Username: "dan", Enabled: true},
	}}
	e := newEnv(t, rbachttp.WithUsers(dir))
	e.must(http.StatusCreated, "POST", "/admin/realms/acme/roles", `{"name":"r"}`)
	if err := e.svc.PutClient(t.Context(), "acme", "c-1", "app"); err != nil {
		t.Fatal(err)
	}
	e.must(http.StatusCreated, "POST", "/admin/realms/acme/clients/c-1/roles", `{"name":"cr"}`)
	for _, u := range []string{"u1", "u2", "u3", "u4"} { // u3 is deleted
		e.must(http.StatusNoContent, "POST", "/admin/realms/acme/users/"+u+"/role-mappings/realm", `[{"name":"r"}]`)
	}
	e.must(http.StatusNoContent, "POST", "/admin/realms/acme/users/u2/role-mappings/clients/c-1", `[{"name":"cr"}]`)
	usernames := func(path string) []string {
		var reps []usershttp.UserRepresentation
		e.must(http.StatusOK, "GET", path, nil).decode(t, &reps)
		var names []string
		for _, r := range reps {
			if r.ID == nil || r.Username == nil || r.Enabled == nil {
				t.Fatalf("representation without id, username or enabled: %+v", r)
			}
			names = append(names, *r.Username)
		}
		return names
	}
	tests := []struct{ path, want string }{
		{"/admin/realms/acme/roles/r/users", "ann bob dan"},
		{"/admin/realms/acme/roles/r/users?first=1&max=2", "bob"}, // u2, u3 (deleted)
		{"/admin/realms/acme/clients/c-1/roles/cr/users", "bob"},
	}
	for _, tt := range tests {
		if got := strings.Join(usernames(tt.path), " "); got != tt.want {
			t.Fatalf("GET %s = %q, want %q", tt.path, got, tt.want)
		}
	}
	failing := newEnv(t, rbachttp.WithUsers(userDirectory{err: iam.Errorf(iam.CodeUnavailable, "user service down")}))
	failing.must(http.StatusCreated, "POST", "/admin/realms/acme/roles", `{"name":"r"}`)
	failing.must(http.StatusNoContent, "POST", "/admin/realms/acme/users/u1/role-mappings/realm", `[{"name":"r"}]`)
	failing.must(http.StatusServiceUnavailable, "GET", "/admin/realms/acme/roles/r/users", nil)
}

func TestRoleUsers(t *testing.T) {
	e := newEnv(t)
	e.must(http.StatusCreated, "POST", "/admin/realms/acme/roles", `{"name":"r"}`)
	for _, u := range []string{"u1", "u2"} {
		e.must(http.StatusNoContent, "POST", "/admin/realms/acme/users/"+u+"/role-mappings/realm", `[{"name":"r"}]`)
	}
	var users []rbachttp.UserRef
	e.must(http.StatusOK, "GET", "/admin/realms/acme/roles/r/users?first=1&max=5", nil).decode(t, &users)
	if len(users) != 1 || users[0].ID != "u2" {
		t.Fatalf("users = %+v", users)
	}
}
