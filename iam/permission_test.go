package iam_test

import (
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/iam"
)

// holder is a principal of realm holding the realm-management roles perms.
func holder(realm iam.Realm, perms ...iam.Permission) *iam.Principal {
	roles := make([]string, len(perms))
	for i, p := range perms {
		roles[i] = string(p)
	}
	return &iam.Principal{Subject: "s", Realm: realm, ClientRoles: map[string][]string{iam.RealmManagement: roles}}
}

// TestCanFollowsKeycloaksAdminRoles is Keycloak's rule, role by role: what
// a realm-management role allows in its realm, and nowhere else.
func TestCanFollowsKeycloaksAdminRoles(t *testing.T) {
	tests := []struct {
		name  string
		p     *iam.Principal
		realm iam.Realm
		perm  iam.Permission
		want  bool
	}{
		{"Anonymous", nil, "acme", iam.PermQueryUsers, false},
		{"ViewUsersReadsUsers", holder("acme", iam.PermViewUsers), "acme", iam.PermViewUsers, true},
		{"ViewUsersSearchesUsers", holder("acme", iam.PermViewUsers), "acme", iam.PermQueryUsers, true},
		{"ViewUsersListsGroups", holder("acme", iam.PermViewUsers), "acme", iam.PermQueryGroups, true},
		{"ViewUsersDoesNotManageUsers", holder("acme", iam.PermViewUsers), "acme", iam.PermManageUsers, false},
		{"QueryUsersSearchesOnly", holder("acme", iam.PermQueryUsers), "acme", iam.PermViewUsers, false},
		{"ManageUsersReadsUsers", holder("acme", iam.PermManageUsers), "acme", iam.PermViewUsers, true},
		{"ManageUsersManagesUsers", holder("acme", iam.PermManageUsers), "acme", iam.PermManageUsers, true},
		{"ManageUsersIsNotManageClients", holder("acme", iam.PermManageUsers), "acme", iam.PermManageClients, false},
		{"ManageClientsCreatesClients", holder("acme", iam.PermManageClients), "acme", iam.PermCreateClient, true},
		{"CreateClientDoesNotReadClients", holder("acme", iam.PermCreateClient), "acme", iam.PermViewClients, false},
		{"QueryClientsDoesNotReadAClient", holder("acme", iam.PermQueryClients), "acme", iam.PermViewClients, false},
		{"ViewClientsListsClients", holder("acme", iam.PermViewClients), "acme", iam.PermQueryClients, true},
		{"ManageRealmViewsRealm", holder("acme", iam.PermManageRealm), "acme", iam.PermViewRealm, true},
		{"ViewRealmDoesNotManageIt", holder("acme", iam.PermViewRealm), "acme", iam.PermManageRealm, false},
		{"ManageEventsViewsEvents", holder("acme", iam.PermManageEvents), "acme", iam.PermViewEvents, true},
		{"ViewEventsIsNotViewUsers", holder("acme", iam.PermViewEvents), "acme", iam.PermViewUsers, false},
		{"RealmAdminClientRoleDoesEverything", holder("acme", iam.PermRealmAdmin), "acme", iam.PermManageRealm, true},
		{"RealmAdminRealmRoleDoesEverything", &iam.Principal{Realm: "acme", Roles: []string{iam.RoleRealmAdmin}}, "acme", iam.PermImpersonation, true},
		{"OtherRealmsRolesAreRefused", holder("beta", iam.PermRealmAdmin), "acme", iam.PermQueryUsers, false},
		{"MasterRealmManagementIsNotMasterAdmin", holder(iam.MasterRealm, iam.PermRealmAdmin), "acme", iam.PermQueryUsers, false},
		{"MasterAdminDoesEverythingEverywhere", &iam.Principal{Realm: iam.MasterRealm, Roles: []string{iam.RoleAdmin}}, "acme", iam.PermManageUsers, true},
		{"ARealmRoleNamedLikeAPermissionIsNot", &iam.Principal{Realm: "acme", Roles: []string{"manage-users"}}, "acme", iam.PermManageUsers, false},
		{"AnotherClientsRoleNamedLikeAPermissionIsNot", &iam.Principal{Realm: "acme",
			ClientRoles: map[string][]string{"shop": {"manage-users"}}}, "acme", iam.PermManageUsers, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Can(tt.realm, tt.perm); got != tt.want {
				t.Fatalf("Can(%s, %s) = %v, want %v", tt.realm, tt.perm, got, tt.want)
			}
		})
	}
}

func TestPermissionsAreKeycloaksRealmManagementRoles(t *testing.T) {
	want := []string{"create-client", "impersonation", "manage-authorization", "manage-clients", "manage-events",
		"manage-identity-providers", "manage-realm", "manage-users", "query-clients", "query-groups", "query-realms",
		"query-users", "realm-admin", "view-authorization", "view-clients", "view-events", "view-identity-providers",
		"view-realm", "view-users"}
	var got []string
	for _, p := range iam.Permissions() {
		got = append(got, string(p))
		if !iam.IsPermission(string(p)) {
			t.Errorf("IsPermission(%s) = false", p)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("Permissions() = %v, want %v", got, want)
	}
	if all := iam.PermRealmAdmin.Composites(); len(all) != len(want)-1 || slices.Contains(all, iam.PermRealmAdmin) {
		t.Fatalf("realm-admin's composites = %v, want every other role", all)
	}
	if c := iam.PermViewUsers.Composites(); !slices.Equal(c, []iam.Permission{iam.PermQueryUsers, iam.PermQueryGroups}) {
		t.Fatalf("view-users' composites = %v", c)
	}
	if c := iam.PermViewClients.Composites(); !slices.Equal(c, []iam.Permission{iam.PermQueryClients}) {
		t.Fatalf("view-clients' composites = %v", c)
	}
	if c := iam.PermManageUsers.Composites(); c != nil {
		t.Fatalf("manage-users' composites = %v, want none (as Keycloak)", c)
	}
}
