package rbachttp_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
)

// seed makes realm acme with client c-1 (clientId app), realm roles
// top ⊃ mid ⊃ low, spare, and client roles app/read, app/write.
func seed(t *testing.T, e *env) {
	t.Helper()
	if err := e.svc.PutClient(t.Context(), "acme", "c-1", "app"); err != nil {
		t.Fatal(err)
	}
	e.must(http.StatusCreated, "POST", "/admin/realms/acme/roles", `{"name":"low"}`)
	e.must(http.StatusCreated, "POST", "/admin/realms/acme/roles", `{"name":"mid","composites":{"realm":["low"]}}`)
	e.must(http.StatusCreated, "POST", "/admin/realms/acme/roles", `{"name":"top","composites":{"realm":["mid"]}}`)
	e.must(http.StatusCreated, "POST", "/admin/realms/acme/roles", `{"name":"spare"}`)
	e.must(http.StatusCreated, "POST", "/admin/realms/acme/clients/c-1/roles", `{"name":"read"}`)
	e.must(http.StatusCreated, "POST", "/admin/realms/acme/clients/c-1/roles", `{"name":"write"}`)
}

func TestUserRoleMappings(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	const base = "/admin/realms/acme/users/u1/role-mappings"
	top := e.role("/admin/realms/acme/roles/top")
	read := e.role("/admin/realms/acme/clients/c-1/roles/read")

	e.must(http.StatusNoContent, "POST", base+"/realm", []rbachttp.RoleRepresentation{top})
	e.must(http.StatusNoContent, "POST", base+"/realm", []rbachttp.RoleRepresentation{top}) // idempotent
	e.must(http.StatusNoContent, "POST", base+"/clients/c-1", ref(read.ID))

	var all rbachttp.MappingsRepresentation
	e.must(http.StatusOK, "GET", base, nil).decode(t, &all)
	cm, ok := all.ClientMappings["app"]
	if len(all.RealmMappings) != 1 || all.RealmMappings[0].Name != "top" || !ok ||
		cm.ID != "c-1" || cm.Client != "app" || len(cm.Mappings) != 1 || cm.Mappings[0].Name != "read" {
		t.Fatalf("role-mappings = %+v", all)
	}
	check := func(path string, want ...string) {
		t.Helper()
		if got := repNames(e.roles("GET", path)); !slices.Equal(got, want) {
			t.Fatalf("GET %s = %v, want %v", path, got, want)
		}
	}
	check(base+"/realm", "top")
	check(base+"/realm/composite", "low", "mid", "top")
	check(base+"/realm/available", "spare")
	check(base+"/clients/c-1", "read")
	check(base+"/clients/c-1/composite", "read")
	check(base+"/clients/c-1/available", "write")

	// A client role is not a realm mapping and vice versa.
	e.must(http.StatusNotFound, "POST", base+"/realm", ref(read.ID))
	e.must(http.StatusNotFound, "POST", base+"/clients/c-1", ref(top.ID))
	// The id and the name must agree.
	e.must(http.StatusNotFound, "POST", base+"/realm", []map[string]string{{"id": top.ID, "name": "spare"}})

	e.must(http.StatusNoContent, "DELETE", base+"/realm", []rbachttp.RoleRepresentation{top})
	check(base + "/realm")
	e.must(http.StatusNoContent, "DELETE", base+"/clients/c-1", nil) // no body: all of the client's
	check(base + "/clients/c-1")
	var none rbachttp.MappingsRepresentation
	e.must(http.StatusOK, "GET", base, nil).decode(t, &none)
	if none.RealmMappings != nil || none.ClientMappings != nil {
		t.Fatalf("role-mappings after deletes = %+v", none)
	}
}

func TestServiceAccountMappings(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	sa := iam.ServiceAccountSubject("c-1")
	e.must(http.StatusNoContent, "POST", "/admin/realms/acme/users/"+sa+"/role-mappings/realm", `[{"name":"mid"}]`)
	realmRoles, _, err := e.svc.EffectiveRoles(t.Context(), "acme", sa)
	if err != nil || !slices.Equal(realmRoles, []string{"low", "mid"}) {
		t.Fatalf("service account roles = %v, %v", realmRoles, err)
	}
	e.must(http.StatusNotFound, "POST", "/admin/realms/acme/users/service-account-nope/role-mappings/realm", `[{"name":"mid"}]`)
}
