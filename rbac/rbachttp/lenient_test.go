package rbachttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/internal/kcrep"
	"github.com/opengate-iam/opengate/internal/kcrep/kcreptest"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbacpg"
)

// lenientEnvs are newEnv over each store: the lenient representation is
// stored by the store, so each must keep it.
func lenientEnvs() map[string]func(*testing.T) *env {
	return map[string]func(*testing.T) *env{
		"Memory": func(t *testing.T) *env { return newEnv(t) },
		"PostgreSQL": func(t *testing.T) *env {
			pool := iamtest.Postgres(t)
			if err := rbacpg.Migrate(context.Background(), pool); err != nil {
				t.Fatal(err)
			}
			svc := rbac.New(rbacpg.New(pool))
			srv := httptest.NewServer(withTestPrincipal(rbachttp.NewHandler(svc, rbachttp.WithServiceToken(serviceToken))))
			t.Cleanup(srv.Close)
			return &env{t: t, svc: svc, srv: srv}
		},
	}
}

// roleJSON reads the role at path as a JSON object.
func (e *env) roleJSON(path string) map[string]any {
	e.t.Helper()
	r := e.call("master-admin", http.MethodGet, path, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("GET %s = %d %s", path, r.status, r.body)
	}
	var m map[string]any
	r.decode(e.t, &m)
	return m
}

// Every field of Keycloak's RoleRepresentation OpenGate does not implement,
// sent in the POST, comes back from every read as sent (the role, by id, in
// lists and in role mappings); a PUT changes only what it sends; a role read
// from the API is taken back as it came.
func TestUnimplementedRoleFieldsRoundTrip(t *testing.T) {
	for name, newEnv := range lenientEnvs() {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			sent := kcreptest.Sample(kcrep.Role, kcreptest.Implemented(rbachttp.RoleRepresentation{}))
			if len(sent) < 1 {
				t.Fatal("no unimplemented field sampled")
			}
			body := map[string]any{"name": "viewer"}
			for k, v := range sent {
				body[k] = v
			}
			if r := e.call("master-admin", http.MethodPost, "/admin/realms/acme/roles", body); r.status != http.StatusCreated {
				t.Fatalf("POST = %d %s", r.status, r.body)
			}
			got := e.roleJSON("/admin/realms/acme/roles/viewer")
			for k, v := range sent {
				if !reflect.DeepEqual(got[k], v) {
					t.Errorf("%s = %v after POST, want %v", k, got[k], v)
				}
			}
			if byID := e.roleJSON("/admin/realms/acme/roles-by-id/" + got["id"].(string)); byID["scopeParamRequired"] != true {
				t.Errorf("by id: %v", byID)
			}
			r := e.call("master-admin", http.MethodPut, "/admin/realms/acme/roles/viewer", map[string]any{"scopeParamRequired": "false"})
			if r.status != http.StatusNoContent {
				t.Fatalf("PUT = %d %s", r.status, r.body)
			}
			if got := e.roleJSON("/admin/realms/acme/roles/viewer")["scopeParamRequired"]; got != "false" {
				t.Errorf("scopeParamRequired = %#v after PUT, want the string sent (kept verbatim)", got)
			}
			var list []map[string]any
			e.call("master-admin", http.MethodGet, "/admin/realms/acme/roles?search=viewer", nil).decode(t, &list)
			if len(list) != 1 || list[0]["scopeParamRequired"] != "false" {
				t.Errorf("list = %v", list)
			}
			// A role as GET answers it is taken back by a role mapping.
			role := e.roleJSON("/admin/realms/acme/roles/viewer")
			if r := e.call("master-admin", http.MethodPost, "/admin/realms/acme/users/u1/role-mappings/realm", []any{role}); r.status != http.StatusNoContent {
				t.Fatalf("mapping the role as read = %d %s", r.status, r.body)
			}
		})
	}
}

func TestLenientRoleRefusals(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name, method, path, body, field string
	}{
		{"TypoIsNamed", http.MethodPost, "/admin/realms/acme/roles", `{"name":"x","descripton":"d"}`, "descripton"},
		{"UncoercibleScalar", http.MethodPost, "/admin/realms/acme/roles", `{"name":"x","composite":"sometimes"}`, "composite"},
		{"TypoInAnArrayNamesTheRole", http.MethodPost, "/admin/realms/acme/users/u1/role-mappings/realm", `[{"name":"x"},{"nmae":"y"}]`, "[1].nmae"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.call("master-admin", c.method, c.path, c.body)
			if b := r.errorBody(t); r.status != http.StatusBadRequest || b.Field != c.field {
				t.Fatalf("%d %+v, want 400 naming %q", r.status, b, c.field)
			}
		})
	}
}
