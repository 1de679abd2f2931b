package rbactest

import (
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// appUUID is the client of the import tests.
const appUUID = "0190d6a4-0000-7000-8000-00000000a991"

// sampleImport is a realm's roles as a Keycloak export holds them: a client
// role, realm and client composites, a user's and a service account's
// mappings.
func sampleImport(mode iam.ImportMode) rbac.Import {
	return rbac.Import{
		Mode:    mode,
		Clients: []rbac.Client{{ID: appUUID, ClientID: "app"}},
		Roles: []rbac.ImportRole{
			{Role: rbac.Role{Name: "viewer", Description: "views", Attributes: map[string][]string{"k": {"v"}}}},
			{Role: rbac.Role{Name: "editor"}, Composites: rbac.RoleNames{Realm: []string{"viewer"}, Client: map[string][]string{"app": {"write"}}}},
			{Role: rbac.Role{Name: "write", ClientID: "app"}},
		},
		Mappings: []rbac.ImportMapping{
			{Principal: rbac.Principal{Type: rbac.PrincipalUser, ID: "u1"}, Roles: rbac.RoleNames{Realm: []string{"editor"}}},
			{Principal: rbac.Principal{Type: rbac.PrincipalServiceAccount, ID: appUUID}, Roles: rbac.RoleNames{Client: map[string][]string{"app": {"write"}}}},
		},
	}
}

// Roles are created with their composites (a composite may name a role
// imported after it) and mappings, next to the realm's default roles.
func testImportCreatesRolesAndMappings(t *testing.T, f *fixture) {
	res, err := f.svc.Import(f.ctx, "acme", sampleImport(""))
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 3 || len(res.Outcomes) != 3 || res.Outcomes[2].Role.ClientUUID != appUUID || !res.Outcomes[1].Role.Composite {
		t.Fatalf("result = %+v", res)
	}
	realmRoles, clientRoles := f.effective("acme", "u1")
	equal(t, "u1's realm roles", realmRoles, []string{"editor", "viewer"})
	equal(t, "u1's app roles", clientRoles["app"], []string{"write"})
	_, saRoles := f.effective("acme", iam.ServiceAccountSubject(appUUID))
	equal(t, "service account's app roles", saRoles["app"], []string{"write"})
	if _, err := f.svc.GetRoleByName(f.ctx, "acme", "", rbac.DefaultRoleName("acme")); err != nil {
		t.Fatalf("the realm's default role: %v", err)
	}
}

// FAIL refuses a role that exists, SKIP keeps it as it is, OVERWRITE
// replaces its fields and composites, keeping its id and its holders.
func testImportModes(t *testing.T, f *fixture) {
	other := f.role("acme", "", "other")
	viewer, err := f.svc.CreateRole(f.ctx, "acme", rbac.Role{Name: "viewer", Description: "old"}, other.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.grant("acme", "u2", viewer)
	before := len(f.h.Events(t))

	_, err = f.svc.Import(f.ctx, "acme", sampleImport(iam.ImportFail))
	code(t, "FAIL", err, iam.CodeConflict)
	if iam.ErrorField(err) != "roles[0].name" {
		t.Fatalf("FAIL names %q, want roles[0].name", iam.ErrorField(err))
	}
	if _, err := f.svc.GetRoleByName(f.ctx, "acme", "", "editor"); !isNotFound(err) || len(f.h.Events(t)) != before {
		t.Fatalf("a failed import left something: %v", err)
	}

	res, err := f.svc.Import(f.ctx, "acme", sampleImport(iam.ImportSkip))
	if err != nil || res.Skipped != 1 || res.Added != 2 || res.Outcomes[0].Action != iam.ImportSkipped {
		t.Fatalf("SKIP = %+v, %v", res, err)
	}
	if got, _ := f.svc.GetRole(f.ctx, "acme", viewer.ID); got.Description != "old" {
		t.Fatalf("SKIP changed the role: %+v", got)
	}
	equal(t, "viewer's composites after SKIP", f.composites("acme", viewer), []string{"other"})

	res, err = f.svc.Import(f.ctx, "acme", sampleImport(iam.ImportOverwrite))
	if err != nil || res.Overwritten != 3 {
		t.Fatalf("OVERWRITE = %+v, %v", res, err)
	}
	got, _ := f.svc.GetRole(f.ctx, "acme", viewer.ID)
	if got.Description != "views" || got.Attributes["k"][0] != "v" || got.Composite {
		t.Fatalf("OVERWRITE: %+v (its composites are the import's: none)", got)
	}
	equal(t, "u2 keeps the overwritten role", f.mapped("acme", "u2"), []string{"viewer"})
}

// A failure late in an import (a mapping naming no role) leaves nothing of
// it: roles, composites, mappings, events.
func testImportFailureLeavesNothing(t *testing.T, f *fixture) {
	before := len(f.h.Events(t))
	in := sampleImport("")
	in.Mappings = append(in.Mappings, rbac.ImportMapping{Principal: rbac.Principal{Type: rbac.PrincipalUser, ID: "u3"},
		Roles: rbac.RoleNames{Realm: []string{"nope"}}})
	_, err := f.svc.Import(f.ctx, "acme", in)
	code(t, "unknown role", err, iam.CodeInvalid)
	if iam.ErrorField(err) != "mappings[2].realmRoles" {
		t.Fatalf("error names %q, want mappings[2].realmRoles", iam.ErrorField(err))
	}
	for _, name := range []string{"viewer", "editor", rbac.DefaultRoleName("acme")} {
		if _, err := f.svc.GetRoleByName(f.ctx, "acme", "", name); !isNotFound(err) {
			t.Fatalf("role %s after a failed import: %v", name, err)
		}
	}
	if rr, _ := f.effective("acme", "u1"); len(rr) != 0 {
		t.Fatalf("u1 holds %v after a failed import", rr)
	}
	if n := len(f.h.Events(t)); n != before {
		t.Fatalf("a failed import recorded %d events", n-before)
	}
}

func testImportRefusals(t *testing.T, f *fixture) {
	for _, c := range []struct {
		name  string
		edit  func(*rbac.Import)
		code  iam.Code
		field string
	}{
		{"CycleAmongComposites", func(in *rbac.Import) {
			in.Roles[0].Composites = rbac.RoleNames{Realm: []string{"editor"}}
		}, iam.CodeInvalid, "roles[1].composites"},
		{"SameNameTwice", func(in *rbac.Import) { in.Roles[1].Role.Name = "viewer" }, iam.CodeInvalid, "roles[1].name"},
		{"UnknownClient", func(in *rbac.Import) { in.Roles[2].Role.ClientID = "nope" }, iam.CodeNotFound, "roles[2]"},
		{"BadMode", func(in *rbac.Import) { in.Mode = "MERGE" }, iam.CodeInvalid, "ifResourceExists"},
		{"BadName", func(in *rbac.Import) { in.Roles[0].Role.Name = " x" }, iam.CodeInvalid, "roles[0].name"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := sampleImport("")
			c.edit(&in)
			_, err := f.svc.Import(f.ctx, "acme", in)
			code(t, c.name, err, c.code)
			if iam.ErrorField(err) != c.field {
				t.Fatalf("error %v names %q, want %q", err, iam.ErrorField(err), c.field)
			}
		})
	}
}

// The escalation rule holds for imports: a realm-admin cannot compose or
// grant admin, nor add roles to a holder of admin; a master administrator
// can.
func testImportEscalation(t *testing.T, f *fixture) {
	if err := f.svc.EnsureRealmDefaults(f.ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	admin := f.role("acme", "", iam.RoleAdmin)
	realmAdmin, err := f.svc.GetRoleByName(f.ctx, "acme", "", iam.RoleRealmAdmin)
	if err != nil {
		t.Fatal(err)
	}
	f.grant("acme", "boss", admin)
	f.grant("acme", "deputy", realmAdmin)
	deputy := iam.WithPrincipal(f.ctx, &iam.Principal{Subject: "deputy", Realm: "acme", Roles: []string{iam.RoleRealmAdmin}})
	for _, c := range []struct {
		name string
		in   rbac.Import
	}{
		{"ComposeAdmin", rbac.Import{Roles: []rbac.ImportRole{{Role: rbac.Role{Name: "sneaky"}, Composites: rbac.RoleNames{Realm: []string{"admin"}}}}}},
		{"GrantAdmin", rbac.Import{Mappings: []rbac.ImportMapping{{Principal: rbac.Principal{Type: rbac.PrincipalUser, ID: "deputy"}, Roles: rbac.RoleNames{Realm: []string{"admin"}}}}}},
		{"GroupConfersAdmin", rbac.Import{Groups: []rbac.GroupTree{{Group: rbac.Group{Name: "bosses"}, RealmRoles: []string{"admin"}}}}},
		{"ChangeAdminHolder", rbac.Import{Mappings: []rbac.ImportMapping{{Principal: rbac.Principal{Type: rbac.PrincipalUser, ID: "boss"}, Roles: rbac.RoleNames{Realm: []string{rbac.RoleOfflineAccess}}}}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.svc.Import(deputy, "acme", c.in)
			code(t, c.name, err, iam.CodeForbidden)
		})
	}
	// What the deputy holds, it may compose and grant.
	ok := rbac.Import{Roles: []rbac.ImportRole{{Role: rbac.Role{Name: "helper"}, Composites: rbac.RoleNames{Realm: []string{iam.RoleRealmAdmin}}}},
		Mappings: []rbac.ImportMapping{{Principal: rbac.Principal{Type: rbac.PrincipalUser, ID: "u9"}, Roles: rbac.RoleNames{Realm: []string{"helper"}}}}}
	if _, err := f.svc.Import(deputy, "acme", ok); err != nil {
		t.Fatalf("the deputy's own power: %v", err)
	}
	master := iam.WithPrincipal(f.ctx, &iam.Principal{Subject: "root", Realm: iam.MasterRealm, Roles: []string{iam.RoleAdmin}})
	if err := f.svc.EnsureRealmDefaults(f.ctx, iam.MasterRealm); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.AssignRealmRoles(f.ctx, iam.MasterRealm, "root", iam.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	grantAdmin := rbac.Import{Mappings: []rbac.ImportMapping{{Principal: rbac.Principal{Type: rbac.PrincipalUser, ID: "boss"}, Roles: rbac.RoleNames{Realm: []string{"helper"}}}}}
	if _, err := f.svc.Import(master, "acme", grantAdmin); err != nil {
		t.Fatalf("a master administrator: %v", err)
	}
	if rr, _ := f.effective("acme", "boss"); !slices.Contains(rr, iam.RoleRealmAdmin) {
		t.Fatalf("boss = %v", rr)
	}
}

// The realm-management roles are administrative power in an import too: a
// manage-users holder imports mappings of manage-users, not of
// manage-realm.
func testImportEscalationRealmManagement(t *testing.T, f *fixture) {
	f.client("acme", "rm-1", iam.RealmManagement)
	if err := f.svc.EnsureRealmManagementRoles(f.ctx, "acme", "rm-1"); err != nil {
		t.Fatal(err)
	}
	manageUsers, err := f.svc.GetRoleByName(f.ctx, "acme", "rm-1", string(iam.PermManageUsers))
	if err != nil {
		t.Fatal(err)
	}
	f.grant("acme", "um", manageUsers)
	um := iam.WithPrincipal(f.ctx, &iam.Principal{Subject: "um", Realm: "acme"})
	grant := func(role iam.Permission) rbac.Import {
		return rbac.Import{Mappings: []rbac.ImportMapping{{Principal: rbac.Principal{Type: rbac.PrincipalUser, ID: "friend"},
			Roles: rbac.RoleNames{Client: map[string][]string{iam.RealmManagement: {string(role)}}}}}}
	}
	_, err = f.svc.Import(um, "acme", grant(iam.PermManageRealm))
	code(t, "importing a mapping of manage-realm", err, iam.CodeForbidden)
	if _, err := f.svc.Import(um, "acme", grant(iam.PermManageUsers)); err != nil {
		t.Fatalf("importing a mapping of manage-users, which the caller holds: %v", err)
	}
	if _, cr := f.effective("acme", "friend"); !slices.Equal(cr[iam.RealmManagement], []string{string(iam.PermManageUsers)}) {
		t.Fatalf("friend's realm-management roles = %v", cr)
	}
}

// sampleTrees is Keycloak's nested groups: roles mapped at each level.
func sampleTrees() []rbac.GroupTree {
	return []rbac.GroupTree{{Group: rbac.Group{Name: "top"}, RealmRoles: []string{"viewer"},
		SubGroups: []rbac.GroupTree{{Group: rbac.Group{Name: "sub"}, ClientRoles: map[string][]string{"app": {"write"}}}}}}
}

// Groups come with their subgroups, role mappings and members (by path);
// a member of a subgroup holds the roles of every group above it.
func testImportGroups(t *testing.T, f *fixture) {
	in := sampleImport("")
	in.Mappings = nil
	in.Groups = sampleTrees()
	in.Members = []rbac.ImportMembership{{UserID: "u1", Paths: []string{"/top/sub"}}}
	res, err := f.svc.Import(f.ctx, "acme", in)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 4 || len(res.GroupOutcomes) != 1 || res.GroupOutcomes[0].Group.Path != "/top" {
		t.Fatalf("result = %+v", res)
	}
	realmRoles, clientRoles := f.effective("acme", "u1")
	equal(t, "u1's realm roles (from /top)", realmRoles, []string{"viewer"})
	equal(t, "u1's app roles (from /top/sub)", clientRoles["app"], []string{"write"})

	in = sampleImport(iam.ImportSkip)
	in.Mappings, in.Groups = nil, []rbac.GroupTree{{Group: rbac.Group{Name: "top", Description: "new"}}}
	if res, err = f.svc.Import(f.ctx, "acme", in); err != nil || res.GroupOutcomes[0].Action != iam.ImportSkipped {
		t.Fatalf("SKIP = %+v, %v", res, err)
	}
	in.Mode = iam.ImportFail
	_, err = f.svc.Import(f.ctx, "acme", in)
	code(t, "FAIL", err, iam.CodeConflict)

	in.Mode, in.Roles = iam.ImportOverwrite, nil
	if res, err = f.svc.Import(f.ctx, "acme", in); err != nil || res.GroupOutcomes[0].Action != iam.ImportOverwritten {
		t.Fatalf("OVERWRITE = %+v, %v", res, err)
	}
	if g, err := f.svc.GroupByPath(f.ctx, "acme", "/top"); err != nil || g.Description != "new" || g.SubGroupCount != 0 {
		t.Fatalf("overwritten /top = %+v, %v (Keycloak's overwrite replaces the group and its subgroups)", g, err)
	}
	if rr, _ := f.effective("acme", "u1"); len(rr) != 0 {
		t.Fatalf("u1 still holds %v through the replaced groups", rr)
	}
}

// A member of a group that is not there fails the import: none of its
// groups stay.
func testImportGroupFailureLeavesNothing(t *testing.T, f *fixture) {
	in := sampleImport("")
	in.Groups = sampleTrees()
	in.Members = []rbac.ImportMembership{{UserID: "u1", Paths: []string{"/top/nope"}}}
	_, err := f.svc.Import(f.ctx, "acme", in)
	code(t, "unknown group", err, iam.CodeInvalid)
	if iam.ErrorField(err) != "members[0].groups" {
		t.Fatalf("error names %q", iam.ErrorField(err))
	}
	if _, err := f.svc.GroupByPath(f.ctx, "acme", "/top"); !isNotFound(err) {
		t.Fatalf("/top after a failed import: %v", err)
	}
}
