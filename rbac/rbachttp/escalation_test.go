package rbachttp_test

import (
	"net/http"
	"testing"

	"github.com/opengate-iam/opengate/iam"
)

// The escalation of issue 10 (item 1): a master realm-admin mapping itself
// master's admin role through the admin API, or composing it into the
// default role every new user gets, is refused; the master administrator
// may.
func TestMasterRealmAdminCannotMakeItselfAdmin(t *testing.T) {
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
	admin := e.role("/admin/realms/master/roles/admin")
	tests := []struct {
		name, path string
	}{
		{"UserMapping", "/admin/realms/master/users/mra/role-mappings/realm"},
		{"DefaultRoleComposite", "/admin/realms/master/roles/default-roles-master/composites"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.call("master-realm-admin", http.MethodPost, tt.path, ref(admin.ID))
			if r.status != http.StatusForbidden || r.errorBody(t).Error != string(iam.CodeForbidden) {
				t.Fatalf("POST %s as master realm-admin = %d %s, want 403", tt.path, r.status, r.body)
			}
		})
	}
	if ok, err := e.svc.HasRole(ctx, iam.MasterRealm, "mra", iam.RoleAdmin); err != nil || ok {
		t.Fatalf("master realm-admin holds admin: %v, %v", ok, err)
	}
	e.must(http.StatusNoContent, http.MethodPost, "/admin/realms/master/users/mra/role-mappings/realm", ref(admin.ID))
}
