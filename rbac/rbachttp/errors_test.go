package rbachttp_test

import (
	"strings"
	"testing"
)

func TestErrors(t *testing.T) {
	e := newEnv(t)
	seed(t, e)
	long := strings.Repeat("x", 300)
	tests := []struct {
		name      string
		principal string
		method    string
		path      string
		body      any
		status    int
		code      string
		field     string
	}{
		{"Anonymous", "", "GET", "/admin/realms/acme/roles", nil, 401, "unauthenticated", ""},
		{"AnonymousMapping", "", "POST", "/admin/realms/acme/users/u1/role-mappings/realm", `[{"name":"low"}]`, 401, "unauthenticated", ""},
		{"PlainUser", "acme-user", "GET", "/admin/realms/acme/roles", nil, 403, "forbidden", ""},
		{"OtherRealmsAdmin", "acme-admin", "POST", "/admin/realms/beta/roles", `{"name":"x"}`, 403, "forbidden", ""},
		{"RealmAdminOwnRealm", "acme-admin", "GET", "/admin/realms/acme/roles/low", nil, 200, "", ""},
		{"BadRealmName", "master-admin", "GET", "/admin/realms/Bad!/roles", nil, 400, "invalid", "realm"},
		{"MissingName", "master-admin", "POST", "/admin/realms/acme/roles", `{"description":"x"}`, 400, "invalid", "name"},
		{"LongName", "master-admin", "POST", "/admin/realms/acme/roles", `{"name":"` + long + `"}`, 400, "invalid", "name"},
		{"WrongType", "master-admin", "POST", "/admin/realms/acme/roles", `{"name":["x"]}`, 400, "invalid", "name"},
		{"UnknownField", "master-admin", "POST", "/admin/realms/acme/roles", `{"name":"x","admin":true}`, 400, "invalid", "admin"},
		{"MalformedJSON", "master-admin", "POST", "/admin/realms/acme/roles", `{"name":`, 400, "invalid", ""},
		{"BadPaging", "master-admin", "GET", "/admin/realms/acme/roles?max=lots", nil, 400, "invalid", "max"},
		{"UpdateIDMismatch", "master-admin", "PUT", "/admin/realms/acme/roles/low", `{"id":"other"}`, 400, "invalid", "id"},
		{"RenameTooLong", "master-admin", "PUT", "/admin/realms/acme/roles/low", `{"name":"` + long + `"}`, 400, "invalid", "name"},
		{"RoleWithoutIDOrName", "master-admin", "POST", "/admin/realms/acme/roles/top/composites", `[{"description":"?"}]`, 400, "invalid", "id"},
		{"MappingNotAnArray", "master-admin", "POST", "/admin/realms/acme/users/u1/role-mappings/realm", `{"name":"low"}`, 400, "invalid", ""},
		{"BadUserID", "master-admin", "GET", "/admin/realms/acme/users/a%20b/role-mappings", nil, 400, "invalid", "id"},
		{"SelfComposite", "master-admin", "POST", "/admin/realms/acme/roles/top/composites", `[{"name":"top"}]`, 400, "invalid", "composites"},
		{"MissingRole", "master-admin", "GET", "/admin/realms/acme/roles/nope", nil, 404, "not_found", ""},
		{"MissingRoleByID", "master-admin", "DELETE", "/admin/realms/acme/roles-by-id/0190", nil, 404, "not_found", ""},
		{"MissingClient", "master-admin", "GET", "/admin/realms/acme/clients/nope/roles", nil, 404, "not_found", ""},
		{"MissingClientRole", "master-admin", "GET", "/admin/realms/acme/clients/c-1/roles/nope", nil, 404, "not_found", ""},
		{"MapMissingRole", "master-admin", "POST", "/admin/realms/acme/users/u1/role-mappings/realm", `[{"name":"nope"}]`, 404, "not_found", ""},
		{"ComposeMissingRole", "master-admin", "POST", "/admin/realms/acme/roles/top/composites", `[{"id":"nope"}]`, 404, "not_found", ""},
		{"MappingsOfMissingClient", "master-admin", "GET", "/admin/realms/acme/users/u1/role-mappings/clients/nope", nil, 404, "not_found", ""},
		{"DuplicateRole", "master-admin", "POST", "/admin/realms/acme/roles", `{"name":"low"}`, 409, "conflict", "name"},
		{"DuplicateClientRole", "master-admin", "POST", "/admin/realms/acme/clients/c-1/roles", `{"name":"read"}`, 409, "conflict", "name"},
		{"RenameOntoExisting", "master-admin", "PUT", "/admin/realms/acme/roles/low", `{"name":"mid"}`, 409, "conflict", "name"},
		{"DeleteDefaultRole", "master-admin", "DELETE", "/admin/realms/acme/roles/default-roles-acme", nil, 400, "invalid", "name"},
	}
	if err := e.svc.EnsureRealmDefaults(t.Context(), "acme"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call(tt.principal, tt.method, tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("status = %d %s, want %d", r.status, r.body, tt.status)
			}
			if tt.code == "" {
				return
			}
			b := r.errorBody(t)
			if b.Error != tt.code || b.Field != tt.field || b.ErrorMessage == "" {
				t.Fatalf("body = %+v, want code %q field %q", b, tt.code, tt.field)
			}
			if tt.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
}
