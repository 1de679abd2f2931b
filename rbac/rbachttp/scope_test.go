package rbachttp_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/rbac/rbachttp"
)

// seedScope is seed plus client c-2 (clientId web), whose scope the tests
// map, with its own role web/own.
func seedScope(t *testing.T, e *env) {
	t.Helper()
	seed(t, e)
	if err := e.svc.PutClient(t.Context(), "acme", "c-2", "web"); err != nil {
		t.Fatal(err)
	}
	e.must(http.StatusCreated, "POST", "/admin/realms/acme/clients/c-2/roles", `{"name":"own"}`)
}

// Keycloak's scope-mappings API of a client: the mappings, by realm and by
// client, with their composite (the scope: own roles too) and available
// lists.
func TestClientScopeMappings(t *testing.T) {
	e := newEnv(t)
	seedScope(t, e)
	const base = "/admin/realms/acme/clients/c-2/scope-mappings"
	mid := e.role("/admin/realms/acme/roles/mid")
	read := e.role("/admin/realms/acme/clients/c-1/roles/read")

	e.must(http.StatusNoContent, "POST", base+"/realm", []rbachttp.RoleRepresentation{mid})
	e.must(http.StatusNoContent, "POST", base+"/realm", `[{"name":"mid"}]`) // idempotent, by name
	e.must(http.StatusNoContent, "POST", base+"/clients/c-1", ref(read.ID))

	var all rbachttp.MappingsRepresentation
	e.must(http.StatusOK, "GET", base, nil).decode(t, &all)
	cm, ok := all.ClientMappings["app"]
	if len(all.RealmMappings) != 1 || all.RealmMappings[0].Name != "mid" || !ok ||
		cm.ID != "c-1" || cm.Client != "app" || len(cm.Mappings) != 1 || cm.Mappings[0].Name != "read" {
		t.Fatalf("scope-mappings = %+v", all)
	}
	check := func(path string, want ...string) {
		t.Helper()
		if got := repNames(e.roles("GET", path)); !slices.Equal(got, want) {
			t.Fatalf("GET %s = %v, want %v", path, got, want)
		}
	}
	check(base+"/realm", "mid")
	check(base+"/realm/composite", "low", "mid")
	check(base+"/realm/available", "spare", "top")
	check(base+"/clients/c-1", "read")
	check(base+"/clients/c-1/available", "write")
	check(base+"/clients/c-2/composite", "own") // its own roles are in its scope
	check(base + "/clients/c-2/available")

	e.must(http.StatusNoContent, "DELETE", base+"/realm", []rbachttp.RoleRepresentation{mid})
	check(base + "/realm")
	e.must(http.StatusNoContent, "DELETE", base+"/clients/c-1", nil) // no body: all of the client's
	check(base + "/clients/c-1")
}

func TestClientScopeMappingRefusals(t *testing.T) {
	const base = "/admin/realms/acme/clients/c-2/scope-mappings"
	for _, c := range []struct {
		name, principal, method, path string
		body                          any
		want                          int
	}{
		{"UnknownClientIsNotFound", "master-admin", "GET", "/admin/realms/acme/clients/c-none/scope-mappings", nil, http.StatusNotFound},
		{"UnknownClientOfTheRolesIsNotFound", "master-admin", "GET", base + "/clients/c-none", nil, http.StatusNotFound},
		{"UnknownRoleIsNotFound", "master-admin", "POST", base + "/realm", `[{"name":"no-such-role"}]`, http.StatusNotFound},
		{"ClientRoleAsRealmRoleIsNotFound", "master-admin", "POST", base + "/realm", `[{"name":"read"}]`, http.StatusNotFound},
		{"AnotherRealmsClientIsNotFound", "master-admin", "GET", "/admin/realms/other/clients/c-2/scope-mappings", nil, http.StatusNotFound},
		{"MalformedBodyIsInvalid", "master-admin", "POST", base + "/realm", `{"name":"mid"}`, http.StatusBadRequest},
		{"AnonymousIsUnauthenticated", "", "GET", base, nil, http.StatusUnauthorized},
		{"OrdinaryUserIsForbidden", "acme-user", "GET", base, nil, http.StatusForbidden},
		{"ManageUsersDoesNotReadScopes", "acme-manage-users", "GET", base + "/realm", nil, http.StatusForbidden},
		{"ViewClientsReads", "acme-view-clients", "GET", base + "/realm/composite", nil, http.StatusOK},
		{"ViewClientsDoesNotMap", "acme-view-clients", "POST", base + "/realm", `[{"name":"mid"}]`, http.StatusForbidden},
		{"ViewClientsDoesNotUnmap", "acme-view-clients", "DELETE", base + "/clients/c-1", nil, http.StatusForbidden},
		{"RealmAdminMaps", "acme-admin", "POST", base + "/realm", `[{"name":"mid"}]`, http.StatusNoContent},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			seedScope(t, e)
			if got := e.call(c.principal, c.method, c.path, c.body); got.status != c.want {
				t.Fatalf("%s %s = %d %s, want %d", c.method, c.path, got.status, got.body, c.want)
			}
		})
	}
}

// The internal route auth-service reads a client's scope through.
func TestClientScopeOverTheInternalAPI(t *testing.T) {
	e := newEnv(t)
	seedScope(t, e)
	e.must(http.StatusNoContent, "POST", "/admin/realms/acme/clients/c-2/scope-mappings/realm", `[{"name":"mid"}]`)
	c := rbachttp.NewClient(e.srv.URL, serviceToken)
	realmRoles, clientRoles, err := c.ScopeRoleNames(t.Context(), "acme", "c-2")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(realmRoles, []string{"low", "mid"}) || !slices.Equal(clientRoles["web"], []string{"own"}) || len(clientRoles) != 1 {
		t.Fatalf("scope = %v %v", realmRoles, clientRoles)
	}
	if _, _, err := rbachttp.NewClient(e.srv.URL, "wrong").ScopeRoleNames(t.Context(), "acme", "c-2"); err == nil {
		t.Fatal("the internal route answered a wrong service token")
	}
}
