package rbachttp_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
)

// TestRealmIsolation calls every route on realm "other" with the names and
// ids of realm acme's objects: each answers not found (or, for lists, only
// other's objects) and nothing of acme changes or leaks.
func TestRealmIsolation(t *testing.T) {
	const o = "/admin/realms/other"
	e := newEnv(t)
	seed(t, e)
	const u = "/admin/realms/acme/users/u1/role-mappings"
	e.must(http.StatusNoContent, "POST", u+"/realm", `[{"name":"top"}]`)
	e.must(http.StatusNoContent, "POST", u+"/clients/c-1", `[{"name":"read"}]`)
	e.must(http.StatusCreated, "POST", "/admin/realms/other/roles", `{"name":"own"}`)
	low := e.role("/admin/realms/acme/roles/low")
	read := e.role("/admin/realms/acme/clients/c-1/roles/read")
	acmeIDs := []string{low.ID, read.ID, e.role("/admin/realms/acme/roles/top").ID, e.role("/admin/realms/acme/roles/mid").ID}
	lowRef, readRef := ref(low.ID), ref(read.ID)
	gTop := groupID(t, e.must(http.StatusCreated, "POST", "/admin/realms/acme/groups", `{"name":"top-group"}`))
	gSub := groupID(t, e.must(http.StatusCreated, "POST", "/admin/realms/acme/groups/"+gTop+"/children", `{"name":"sub"}`))
	e.must(http.StatusNoContent, "PUT", "/admin/realms/acme/users/u1/groups/"+gSub, nil)
	e.must(http.StatusNoContent, "POST", "/admin/realms/acme/groups/"+gTop+"/role-mappings/realm", `[{"name":"spare"}]`)
	own := groupID(t, e.must(http.StatusCreated, "POST", "/admin/realms/other/groups", `{"name":"own-group"}`))
	acmeIDs = append(acmeIDs, gTop, gSub)
	g, gm := "/admin/realms/other/groups/"+gTop, "/admin/realms/other/groups/"+gTop+"/role-mappings"
	e.must(http.StatusNoContent, "POST", "/admin/realms/acme/clients/c-1/scope-mappings/realm", `[{"name":"top"}]`)
	sm := o + "/clients/c-1/scope-mappings" // acme's client, addressed in other

	tests := []struct {
		method, route, path string
		body                any
		status              int
	}{
		{"GET", "/roles", o + "/roles", nil, 200},
		{"POST", "/roles", o + "/roles", `{"name":"x","composites":{"realm":["low"]}}`, 404},
		{"GET", "/roles/{roleName}", o + "/roles/low", nil, 404},
		{"PUT", "/roles/{roleName}", o + "/roles/low", `{"description":"x"}`, 404},
		{"DELETE", "/roles/{roleName}", o + "/roles/low", nil, 404},
		{"GET", "/roles/{roleName}/composites", o + "/roles/mid/composites", nil, 404},
		{"POST", "/roles/{roleName}/composites", o + "/roles/own/composites", lowRef, 404},
		{"DELETE", "/roles/{roleName}/composites", o + "/roles/own/composites", lowRef, 404},
		{"GET", "/roles/{roleName}/composites/realm", o + "/roles/mid/composites/realm", nil, 404},
		{"GET", "/roles/{roleName}/composites/clients/{client}", o + "/roles/mid/composites/clients/c-1", nil, 404},
		{"GET", "/roles/{roleName}/users", o + "/roles/top/users", nil, 404},
		{"GET", "/roles-by-id/{roleID}", o + "/roles-by-id/" + low.ID, nil, 404},
		{"PUT", "/roles-by-id/{roleID}", o + "/roles-by-id/" + low.ID, `{"name":"stolen"}`, 404},
		{"DELETE", "/roles-by-id/{roleID}", o + "/roles-by-id/" + low.ID, nil, 404},
		{"GET", "/roles-by-id/{roleID}/composites", o + "/roles-by-id/" + acmeIDs[3] + "/composites", nil, 404},
		{"POST", "/roles-by-id/{roleID}/composites", o + "/roles-by-id/" + low.ID + "/composites", lowRef, 404},
		{"DELETE", "/roles-by-id/{roleID}/composites", o + "/roles-by-id/" + acmeIDs[3] + "/composites", lowRef, 404},
		{"GET", "/roles-by-id/{roleID}/composites/realm", o + "/roles-by-id/" + acmeIDs[3] + "/composites/realm", nil, 404},
		{"GET", "/roles-by-id/{roleID}/composites/clients/{client}", o + "/roles-by-id/" + acmeIDs[3] + "/composites/clients/c-1", nil, 404},
		{"GET", "/clients/{id}/roles", o + "/clients/c-1/roles", nil, 404},
		{"POST", "/clients/{id}/roles", o + "/clients/c-1/roles", `{"name":"x"}`, 404},
		{"GET", "/clients/{id}/roles/{roleName}", o + "/clients/c-1/roles/read", nil, 404},
		{"PUT", "/clients/{id}/roles/{roleName}", o + "/clients/c-1/roles/read", `{"name":"x"}`, 404},
		{"DELETE", "/clients/{id}/roles/{roleName}", o + "/clients/c-1/roles/read", nil, 404},
		{"GET", "/clients/{id}/roles/{roleName}/composites", o + "/clients/c-1/roles/read/composites", nil, 404},
		{"POST", "/clients/{id}/roles/{roleName}/composites", o + "/clients/c-1/roles/read/composites", lowRef, 404},
		{"DELETE", "/clients/{id}/roles/{roleName}/composites", o + "/clients/c-1/roles/read/composites", lowRef, 404},
		{"GET", "/clients/{id}/roles/{roleName}/composites/realm", o + "/clients/c-1/roles/read/composites/realm", nil, 404},
		{"GET", "/clients/{id}/roles/{roleName}/composites/clients/{client}", o + "/clients/c-1/roles/read/composites/clients/c-1", nil, 404},
		{"GET", "/clients/{id}/roles/{roleName}/users", o + "/clients/c-1/roles/read/users", nil, 404},
		{"GET", "/users/{id}/role-mappings", o + "/users/u1/role-mappings", nil, 200},
		{"GET", "/users/{id}/role-mappings/realm", o + "/users/u1/role-mappings/realm", nil, 200},
		{"POST", "/users/{id}/role-mappings/realm", o + "/users/u1/role-mappings/realm", lowRef, 404},
		{"DELETE", "/users/{id}/role-mappings/realm", o + "/users/u1/role-mappings/realm", lowRef, 404},
		{"GET", "/users/{id}/role-mappings/realm/available", o + "/users/u1/role-mappings/realm/available", nil, 200},
		{"GET", "/users/{id}/role-mappings/realm/composite", o + "/users/u1/role-mappings/realm/composite", nil, 200},
		{"GET", "/users/{id}/role-mappings/clients/{client}", o + "/users/u1/role-mappings/clients/c-1", nil, 404},
		{"POST", "/users/{id}/role-mappings/clients/{client}", o + "/users/u1/role-mappings/clients/c-1", readRef, 404},
		{"DELETE", "/users/{id}/role-mappings/clients/{client}", o + "/users/u1/role-mappings/clients/c-1", readRef, 404},
		{"GET", "/users/{id}/role-mappings/clients/{client}/available", o + "/users/u1/role-mappings/clients/c-1/available", nil, 404},
		{"GET", "/users/{id}/role-mappings/clients/{client}/composite", o + "/users/u1/role-mappings/clients/c-1/composite", nil, 404},
		{"GET", "/groups", o + "/groups?search=top", nil, 200},
		{"POST", "/groups", o + "/groups", `{"id":"` + gTop + `","name":"top-group"}`, 404},
		{"GET", "/groups/count", o + "/groups/count", nil, 200},
		{"GET", "/groups/{groupId}", g, nil, 404},
		{"PUT", "/groups/{groupId}", g, `{"name":"stolen"}`, 404},
		{"DELETE", "/groups/{groupId}", g, nil, 404},
		{"GET", "/groups/{groupId}/children", g + "/children", nil, 404},
		{"POST", "/groups/{groupId}/children", o + "/groups/" + own + "/children", `{"id":"` + gSub + `","name":"sub"}`, 404},
		{"GET", "/groups/{groupId}/members", g + "/members", nil, 404},
		{"GET", "/groups/{groupId}/role-mappings", gm, nil, 404},
		{"GET", "/groups/{groupId}/role-mappings/realm", gm + "/realm", nil, 404},
		{"POST", "/groups/{groupId}/role-mappings/realm", gm + "/realm", `[{"name":"own"}]`, 404},
		{"DELETE", "/groups/{groupId}/role-mappings/realm", gm + "/realm", nil, 404},
		{"GET", "/groups/{groupId}/role-mappings/realm/available", gm + "/realm/available", nil, 404},
		{"GET", "/groups/{groupId}/role-mappings/realm/composite", gm + "/realm/composite", nil, 404},
		{"GET", "/groups/{groupId}/role-mappings/clients/{client}", gm + "/clients/c-1", nil, 404},
		{"POST", "/groups/{groupId}/role-mappings/clients/{client}", gm + "/clients/c-1", readRef, 404},
		{"DELETE", "/groups/{groupId}/role-mappings/clients/{client}", gm + "/clients/c-1", readRef, 404},
		{"GET", "/groups/{groupId}/role-mappings/clients/{client}/available", gm + "/clients/c-1/available", nil, 404},
		{"GET", "/groups/{groupId}/role-mappings/clients/{client}/composite", gm + "/clients/c-1/composite", nil, 404},
		{"GET", "/group-by-path/*", o + "/group-by-path/top-group/sub", nil, 404},
		{"GET", "/clients/{id}/scope-mappings", sm, nil, 404},
		{"GET", "/clients/{id}/scope-mappings/realm", sm + "/realm", nil, 404},
		{"POST", "/clients/{id}/scope-mappings/realm", sm + "/realm", `[{"name":"own"}]`, 404},
		{"DELETE", "/clients/{id}/scope-mappings/realm", sm + "/realm", nil, 404},
		{"GET", "/clients/{id}/scope-mappings/realm/available", sm + "/realm/available", nil, 404},
		{"GET", "/clients/{id}/scope-mappings/realm/composite", sm + "/realm/composite", nil, 404},
		{"GET", "/clients/{id}/scope-mappings/clients/{client}", sm + "/clients/c-1", nil, 404},
		{"POST", "/clients/{id}/scope-mappings/clients/{client}", sm + "/clients/c-1", readRef, 404},
		{"DELETE", "/clients/{id}/scope-mappings/clients/{client}", sm + "/clients/c-1", readRef, 404},
		{"GET", "/clients/{id}/scope-mappings/clients/{client}/available", sm + "/clients/c-1/available", nil, 404},
		{"GET", "/clients/{id}/scope-mappings/clients/{client}/composite", sm + "/clients/c-1/composite", nil, 404},
		{"GET", "/users/{id}/groups", o + "/users/u1/groups", nil, 200},
		{"GET", "/users/{id}/groups/count", o + "/users/u1/groups/count", nil, 200},
		{"PUT", "/users/{id}/groups/{groupId}", o + "/users/u2/groups/" + gTop, nil, 404},
		{"DELETE", "/users/{id}/groups/{groupId}", o + "/users/u1/groups/" + gSub, nil, 404},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		covered[tt.method+" /admin/realms/{realm}"+tt.route] = true
		t.Run(tt.method+" "+tt.route, func(t *testing.T) {
			r := e.admin(tt.method, tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("status = %d %s, want %d", r.status, r.body, tt.status)
			}
			body := string(r.body)
			for _, id := range acmeIDs {
				if strings.Contains(body, id) {
					t.Fatalf("answer leaks acme's role %s: %s", id, body)
				}
			}
			if r.status == 200 && (strings.Contains(body, `"top"`) || strings.Contains(body, `"read"`) || strings.Contains(body, `"app"`)) {
				t.Fatalf("answer leaks acme's roles: %s", body)
			}
		})
	}

	// Every route of the handler is in the table. Registering on a router
	// that already serves other /admin/realms/{realm} paths works too.
	router := chi.NewRouter()
	router.Get("/admin/realms/{realm}/users/{id}", func(http.ResponseWriter, *http.Request) {})
	router.Get("/admin/realms/{realm}/clients/{id}", func(http.ResponseWriter, *http.Request) {})
	rbachttp.NewHandler(rbac.New(rbacmem.New(nil))).Mount(router)
	_ = chi.Walk(router, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route == "/admin/realms/{realm}/users/{id}" || route == "/admin/realms/{realm}/clients/{id}" ||
			strings.HasPrefix(route, "/internal/") {
			return nil // the neighbours, and the internal routes (client_test.go)
		}
		if !covered[method+" "+route] {
			t.Errorf("route %s %s is not checked for realm isolation", method, route)
		}
		return nil
	})

	// acme is intact (spare through its group).
	rr, cr, err := e.svc.EffectiveRoles(t.Context(), "acme", "u1")
	if err != nil || strings.Join(rr, ",") != "low,mid,spare,top" || len(cr["app"]) != 1 {
		t.Fatalf("acme's u1 after the attempts = %v %v %v", rr, cr, err)
	}
	if got := e.role("/admin/realms/acme/roles/low"); got.Description != nil {
		t.Fatalf("acme's role was changed: %+v", got)
	}
	var sub rbachttp.GroupRepresentation
	e.must(http.StatusOK, "GET", "/admin/realms/acme/groups/"+gSub, nil).decode(t, &sub)
	if sub.Path != "/top-group/sub" {
		t.Fatalf("acme's group was moved: %+v", sub)
	}
	if members := e.must(http.StatusOK, "GET", "/admin/realms/acme/groups/"+gSub+"/members", nil); strings.TrimSpace(string(members.body)) != `[{"id":"u1"}]` {
		t.Fatalf("acme's group's members = %s", members.body)
	}
}
