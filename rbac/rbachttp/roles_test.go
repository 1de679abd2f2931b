package rbachttp_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/rbac/rbachttp"
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
