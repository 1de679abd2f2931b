package rbac_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
)

// escalation is a deployment with administrators of several kinds, made
// without a principal (trusted code):
//
//	master: root holds admin; mra and mra2 hold realm-admin; "boss"
//	        contains admin; client "tool" has the role "wrapper" containing
//	        "boss", and its service account holds "boss".
//	acme:   aa holds realm-admin; the realm also has an "admin" role (which
//	        administers acme) that aa does not hold and ab holds; "helper"
//	        is ordinary.
type escalation struct {
	t   *testing.T
	svc *rbac.Service
}

func newEscalation(t *testing.T) *escalation {
	t.Helper()
	e := &escalation{t: t, svc: rbac.New(rbacmem.New(nil), rbac.WithEffectiveRolesCache(0, 0))}
	ctx := context.Background()
	for _, realm := range []iam.Realm{iam.MasterRealm, "acme", "beta"} {
		if err := e.svc.EnsureRealmDefaults(ctx, realm); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.PutClient(ctx, iam.MasterRealm, "c-tool", "tool"); err != nil {
		t.Fatal(err)
	}
	boss, err := e.svc.CreateRole(ctx, iam.MasterRealm, rbac.Role{Name: "boss"}, e.id(iam.MasterRealm, "", iam.RoleAdmin))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateRole(ctx, iam.MasterRealm, rbac.Role{Name: "wrapper", ClientUUID: "c-tool"}, boss.ID); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{iam.RoleAdmin, "helper"} {
		if _, err := e.svc.CreateRole(ctx, "acme", rbac.Role{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range []struct {
		realm      iam.Realm
		user, role string
	}{
		{iam.MasterRealm, "root", iam.RoleAdmin},
		{iam.MasterRealm, "mra", iam.RoleRealmAdmin},
		{iam.MasterRealm, "mra2", iam.RoleRealmAdmin},
		{iam.MasterRealm, iam.ServiceAccountSubject("c-tool"), "boss"},
		{"acme", "aa", iam.RoleRealmAdmin},
		{"acme", "ab", iam.RoleAdmin},
		{"acme", "friend", "helper"},
	} {
		if err := e.svc.AssignRealmRoles(ctx, m.realm, m.user, m.role); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// id returns the id of a role of realm (clientUUID "" for a realm role).
func (e *escalation) id(realm iam.Realm, clientUUID, name string) string {
	e.t.Helper()
	r, err := e.svc.GetRoleByName(context.Background(), realm, clientUUID, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return r.ID
}

// as returns a context carrying a token-like principal of realm for subject.
func as(realm iam.Realm, subject string, tokenRoles ...string) context.Context {
	return iam.WithPrincipal(context.Background(), &iam.Principal{Subject: subject, Realm: realm, Roles: tokenRoles})
}

func TestEscalationRule(t *testing.T) {
	master := iam.MasterRealm
	mra := as(master, "mra", iam.RoleRealmAdmin)
	root := as(master, "root", iam.RoleAdmin)
	aa := as("acme", "aa", iam.RoleRealmAdmin)
	tests := []struct {
		name string
		do   func(e *escalation) error
		want iam.Code // "" for success
	}{
		// What a master realm-admin must not do (issue 10, item 1).
		{"MasterRealmAdminCannotMapAdminToItself", func(e *escalation) error {
			return e.svc.AddUserRoles(mra, master, "mra", e.id(master, "", iam.RoleAdmin))
		}, iam.CodeForbidden},
		{"MasterRealmAdminCannotAssignAdminByName", func(e *escalation) error {
			return e.svc.AssignRealmRoles(mra, master, "mra", iam.RoleAdmin)
		}, iam.CodeForbidden},
		{"CompositeContainingAdminTransitivelyThroughAClientRole", func(e *escalation) error {
			return e.svc.AddUserRoles(mra, master, "mra", e.id(master, "c-tool", "wrapper"))
		}, iam.CodeForbidden},
		{"ServiceAccountMapping", func(e *escalation) error {
			return e.svc.AddUserRoles(mra, master, iam.ServiceAccountSubject("c-tool"), e.id(master, "", iam.RoleAdmin))
		}, iam.CodeForbidden},
		{"ComposingAdminIntoTheDefaultRole", func(e *escalation) error {
			return e.svc.AddComposites(mra, master, e.id(master, "", rbac.DefaultRoleName(master)), e.id(master, "", iam.RoleAdmin))
		}, iam.CodeForbidden},
		{"ComposingAdminIntoAClientRole", func(e *escalation) error {
			return e.svc.AddComposites(mra, master, e.id(master, "c-tool", "wrapper"), e.id(master, "", iam.RoleAdmin))
		}, iam.CodeForbidden},
		{"CreatingARoleContainingAdmin", func(e *escalation) error {
			_, err := e.svc.CreateRole(mra, master, rbac.Role{Name: "mine"}, e.id(master, "", "boss"))
			return err
		}, iam.CodeForbidden},
		{"CreatingAClientRoleContainingAdmin", func(e *escalation) error {
			_, err := e.svc.CreateRole(mra, master, rbac.Role{Name: "mine", ClientUUID: "c-tool"}, e.id(master, "", iam.RoleAdmin))
			return err
		}, iam.CodeForbidden},
		{"RevokingAdminFromTheMasterAdministrator", func(e *escalation) error {
			return e.svc.RemoveUserRoles(mra, master, "root", e.id(master, "", iam.RoleAdmin))
		}, iam.CodeForbidden},
		{"RemovingAdminFromAComposite", func(e *escalation) error {
			return e.svc.RemoveComposites(mra, master, e.id(master, "", "boss"), e.id(master, "", iam.RoleAdmin))
		}, iam.CodeForbidden},
		{"DeletingACompositeContainingAdmin", func(e *escalation) error {
			return e.svc.DeleteRole(mra, master, e.id(master, "", "boss"))
		}, iam.CodeForbidden},
		{"RenamingACompositeContainingAdmin", func(e *escalation) error {
			name := "renamed"
			_, err := e.svc.UpdateRole(mra, master, e.id(master, "", "boss"), rbac.RoleUpdate{Name: &name})
			return err
		}, iam.CodeForbidden},
		{"StaleTokenRolesGrantNothing", func(e *escalation) error {
			// The token says admin; rbac never mapped it to "ex".
			return e.svc.AddUserRoles(as(master, "ex", iam.RoleAdmin), master, "ex", e.id(master, "", iam.RoleAdmin))
		}, iam.CodeForbidden},

		// A realm-admin of acme, who does not hold acme's "admin".
		{"RealmAdminCannotMapAnAdminRoleItDoesNotHold", func(e *escalation) error {
			return e.svc.AddUserRoles(aa, "acme", "friend", e.id("acme", "", iam.RoleAdmin))
		}, iam.CodeForbidden},
		{"RealmAdminCannotRenameARoleToAdmin", func(e *escalation) error {
			name := iam.RoleAdmin + "2"
			if _, err := e.svc.UpdateRole(aa, "acme", e.id("acme", "", "helper"), rbac.RoleUpdate{Name: &name}); err != nil {
				return err // an ordinary rename is allowed
			}
			name = iam.RoleAdmin
			if err := e.svc.DeleteRole(context.Background(), "acme", e.id("acme", "", iam.RoleAdmin)); err != nil {
				return err
			}
			_, err := e.svc.UpdateRole(aa, "acme", e.id("acme", "", iam.RoleAdmin+"2"), rbac.RoleUpdate{Name: &name})
			return err
		}, iam.CodeForbidden},
		{"RealmAdminCannotMapRealmAdminInAnotherRealm", func(e *escalation) error {
			return e.svc.AddUserRoles(aa, "beta", "x", e.id("beta", "", iam.RoleRealmAdmin))
		}, iam.CodeForbidden},

		// Nobody changes the mappings of a subject with more power than
		// their own, even with ordinary roles.
		{"MasterRealmAdminCannotUnmapOrdinaryRolesOfTheMasterAdministrator", func(e *escalation) error {
			return e.svc.RemoveUserRoles(mra, master, "root", e.id(master, "", rbac.RoleOfflineAccess))
		}, iam.CodeForbidden},
		{"MasterRealmAdminCannotMapOrdinaryRolesToTheMasterAdministrator", func(e *escalation) error {
			return e.svc.AddUserRoles(mra, master, "root", e.id(master, "", rbac.RoleOfflineAccess))
		}, iam.CodeForbidden},
		{"MasterRealmAdminCannotChangeAServiceAccountHoldingAdminThroughAComposite", func(e *escalation) error {
			return e.svc.RemoveUserRoles(mra, master, iam.ServiceAccountSubject("c-tool"), e.id(master, "", rbac.RoleOfflineAccess))
		}, iam.CodeForbidden},
		{"RealmAdminCannotChangeTheMappingsOfItsRealmsAdmin", func(e *escalation) error {
			return e.svc.AddUserRoles(aa, "acme", "ab", e.id("acme", "", "helper"))
		}, iam.CodeForbidden},

		// What stays allowed.
		{"MasterAdminMapsAdmin", func(e *escalation) error {
			return e.svc.AddUserRoles(root, master, "mra", e.id(master, "", iam.RoleAdmin))
		}, ""},
		{"MasterAdminMapsRealmAdminOfAnotherRealm", func(e *escalation) error {
			return e.svc.AddUserRoles(root, "acme", "friend", e.id("acme", "", iam.RoleRealmAdmin))
		}, ""},
		{"MasterRealmAdminMapsRealmAdminOfMaster", func(e *escalation) error {
			return e.svc.AddUserRoles(mra, master, "x", e.id(master, "", iam.RoleRealmAdmin))
		}, ""},
		{"RealmAdminMapsRealmAdminOfItsRealm", func(e *escalation) error {
			return e.svc.AddUserRoles(aa, "acme", "friend", e.id("acme", "", iam.RoleRealmAdmin))
		}, ""},
		{"RealmAdminComposesRealmAdminIntoTheDefaultRole", func(e *escalation) error {
			return e.svc.AddComposites(aa, "acme", e.id("acme", "", rbac.DefaultRoleName("acme")), e.id("acme", "", iam.RoleRealmAdmin))
		}, ""},
		{"RealmAdminMapsOrdinaryRoles", func(e *escalation) error {
			return e.svc.AddUserRoles(aa, "acme", "x", e.id("acme", "", "helper"), e.id("acme", "", rbac.RoleOfflineAccess))
		}, ""},
		{"MasterRealmAdminChangesAnotherMasterRealmAdmin", func(e *escalation) error {
			return e.svc.AddUserRoles(mra, master, "mra2", e.id(master, "", rbac.RoleOfflineAccess))
		}, ""},
		{"MasterRealmAdminChangesItsOwnMappings", func(e *escalation) error {
			return e.svc.RemoveUserRoles(mra, master, "mra", e.id(master, "", iam.RoleRealmAdmin))
		}, ""},
		{"MasterAdminChangesAnyonesMappings", func(e *escalation) error {
			return e.svc.RemoveUserRoles(root, "acme", "ab", e.id("acme", "", iam.RoleAdmin))
		}, ""},
		{"TrustedCodeWithoutAPrincipal", func(e *escalation) error {
			return e.svc.AddUserRoles(context.Background(), master, "x", e.id(master, "", iam.RoleAdmin))
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEscalation(t)
			err := tt.do(e)
			if got := iam.ErrorCode(err); got != tt.want {
				t.Fatalf("err = %v, want code %q", err, tt.want)
			}
		})
	}
}

// A refused grant changes nothing, not even the harmless roles asked for
// with the forbidden one.
func TestRefusedGrantChangesNothing(t *testing.T) {
	e := newEscalation(t)
	ctx := as(iam.MasterRealm, "mra", iam.RoleRealmAdmin)
	err := e.svc.AddUserRoles(ctx, iam.MasterRealm, "mra",
		e.id(iam.MasterRealm, "", rbac.RoleOfflineAccess), e.id(iam.MasterRealm, "", iam.RoleAdmin))
	if iam.ErrorCode(err) != iam.CodeForbidden {
		t.Fatalf("err = %v, want forbidden", err)
	}
	roles, err := e.svc.UserRoles(context.Background(), iam.MasterRealm, "mra")
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 1 || roles[0].Name != iam.RoleRealmAdmin {
		t.Fatalf("mappings after a refused grant = %+v, want realm-admin only", roles)
	}
}

// newRealmManagementEscalation is newEscalation with acme's
// realm-management client "rm" and its roles, and in acme: um holds
// manage-users, uvm holds view-users and manage-users, ura holds the client
// role realm-admin, and role "custom" of realm-management (no power).
func newRealmManagementEscalation(t *testing.T) *escalation {
	t.Helper()
	e := newEscalation(t)
	ctx := context.Background()
	if err := e.svc.PutClient(ctx, "acme", "rm", iam.RealmManagement); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.EnsureRealmManagementRoles(ctx, "acme", "rm"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateRole(ctx, "acme", rbac.Role{Name: "custom", ClientUUID: "rm"}); err != nil {
		t.Fatal(err)
	}
	for user, roles := range map[string][]string{"um": {"manage-users"}, "uvm": {"view-users", "manage-users"}, "ura": {"realm-admin"}} {
		for _, name := range roles {
			if err := e.svc.AddUserRoles(ctx, "acme", user, e.id("acme", "rm", name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return e
}

// TestEscalationRuleForRealmManagementRoles: the fine-grained admin roles
// are administrative power; nobody grants, composes or renames one they do
// not hold, nor changes a user holding one they do not hold.
func TestEscalationRuleForRealmManagementRoles(t *testing.T) {
	um, uvm, ura := as("acme", "um"), as("acme", "uvm"), as("acme", "ura")
	aa, root := as("acme", "aa", iam.RoleRealmAdmin), as(iam.MasterRealm, "root", iam.RoleAdmin)
	tests := []struct {
		name string
		do   func(e *escalation) error
		want iam.Code // "" for success
	}{
		{"ManageUsersCannotGrantTheRealmRoleRealmAdmin", func(e *escalation) error {
			return e.svc.AddUserRoles(um, "acme", "friend", e.id("acme", "", iam.RoleRealmAdmin))
		}, iam.CodeForbidden},
		{"ManageUsersCannotGrantTheClientRoleRealmAdmin", func(e *escalation) error {
			return e.svc.AddUserRoles(um, "acme", "friend", e.id("acme", "rm", "realm-admin"))
		}, iam.CodeForbidden},
		{"ManageUsersCannotGrantItselfManageRealm", func(e *escalation) error {
			return e.svc.AddUserRoles(um, "acme", "um", e.id("acme", "rm", "manage-realm"))
		}, iam.CodeForbidden},
		{"ManageUsersCannotGrantViewUsersItDoesNotHold", func(e *escalation) error {
			return e.svc.AddUserRoles(um, "acme", "friend", e.id("acme", "rm", "view-users"))
		}, iam.CodeForbidden},
		{"ManageUsersGrantsManageUsers", func(e *escalation) error {
			return e.svc.AddUserRoles(um, "acme", "friend", e.id("acme", "rm", "manage-users"))
		}, ""},
		{"ViewUsersHolderGrantsQueryUsersItHoldsThroughTheComposite", func(e *escalation) error {
			return e.svc.AddUserRoles(uvm, "acme", "friend", e.id("acme", "rm", "query-users"))
		}, ""},
		{"ManageUsersGrantsOrdinaryRoles", func(e *escalation) error {
			return e.svc.AddUserRoles(um, "acme", "friend", e.id("acme", "rm", "custom"), e.id("acme", "", "helper"))
		}, ""},
		{"ManageUsersCannotComposeManageRealmIntoAnOrdinaryRole", func(e *escalation) error {
			return e.svc.AddComposites(um, "acme", e.id("acme", "", "helper"), e.id("acme", "rm", "manage-realm"))
		}, iam.CodeForbidden},
		{"ManageUsersCannotChangeARealmAdminsMappings", func(e *escalation) error {
			return e.svc.AddUserRoles(um, "acme", "aa", e.id("acme", "", "helper"))
		}, iam.CodeForbidden},
		{"ManageUsersCannotChangeAHolderOfMorePower", func(e *escalation) error {
			return e.svc.AddUserRoles(um, "acme", "uvm", e.id("acme", "", "helper"))
		}, iam.CodeForbidden},
		{"CannotRenameARoleToAPermission", func(e *escalation) error {
			if err := e.svc.DeleteRole(context.Background(), "acme", e.id("acme", "rm", "manage-events")); err != nil {
				return err
			}
			name := "manage-events"
			_, err := e.svc.UpdateRole(uvm, "acme", e.id("acme", "rm", "custom"), rbac.RoleUpdate{Name: &name})
			return err
		}, iam.CodeForbidden},
		{"TheRealmRoleRealmAdminHoldsEveryPermission", func(e *escalation) error {
			return e.svc.AddUserRoles(aa, "acme", "friend", e.id("acme", "rm", "manage-realm"), e.id("acme", "rm", "view-events"))
		}, ""},
		{"TheClientRoleRealmAdminGrantsPermissions", func(e *escalation) error {
			return e.svc.AddUserRoles(ura, "acme", "friend", e.id("acme", "rm", "manage-clients"))
		}, ""},
		{"TheClientRoleRealmAdminCannotGrantTheRealmRole", func(e *escalation) error {
			return e.svc.AddUserRoles(ura, "acme", "friend", e.id("acme", "", iam.RoleRealmAdmin))
		}, iam.CodeForbidden},
		{"AnotherRealmsHolderCannotGrant", func(e *escalation) error {
			return e.svc.AddUserRoles(as("beta", "um"), "acme", "friend", e.id("acme", "rm", "manage-users"))
		}, iam.CodeForbidden},
		{"MasterAdminGrantsAny", func(e *escalation) error {
			return e.svc.AddUserRoles(root, "acme", "friend", e.id("acme", "rm", "realm-admin"))
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newRealmManagementEscalation(t)
			err := tt.do(e)
			if got := iam.ErrorCode(err); got != tt.want {
				t.Fatalf("err = %v, want code %q", err, tt.want)
			}
		})
	}
}
