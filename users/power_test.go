package users_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// roleTable is a fake users.RoleReader: effective roles by realm and
// subject — realm roles, and client roles of realm-management written
// "realm-management/{role}" — and an error to fail every call with.
type roleTable struct {
	mu    sync.Mutex
	roles map[string][]string // "realm/subject" → effective roles
	err   error
}

func (r *roleTable) EffectiveRoles(_ context.Context, realm iam.Realm, id string) ([]string, map[string][]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil {
		return nil, nil, r.err
	}
	var realmRoles []string
	clientRoles := map[string][]string{}
	for _, name := range r.roles[string(realm)+"/"+id] {
		if perm, ok := strings.CutPrefix(name, iam.RealmManagement+"/"); ok {
			clientRoles[iam.RealmManagement] = append(clientRoles[iam.RealmManagement], perm)
		} else {
			realmRoles = append(realmRoles, name)
		}
	}
	return realmRoles, clientRoles, nil
}

// powerEnv is a users Service enforcing the rule against changing more
// powerful users, with these users (password "Passw0rd-<username>"):
//
//	master: root (admin), boss (admin, through a composite: the fake
//	        returns effective roles), mra and mra2 (realm-admin), plain
//	acme:   chief (admin), aa and aa2 (realm-admin, and so every
//	        realm-management role), bob, um (realm-management's
//	        manage-users), umr (manage-users and manage-realm)
type powerEnv struct {
	*env
	roles *roleTable
	ids   map[string]string // username → id
}

func newPowerEnv(t *testing.T) *powerEnv {
	t.Helper()
	// The realm role realm-admin contains the client role realm-admin,
	// which contains every other realm-management role.
	realmAdmin := []string{iam.RoleRealmAdmin}
	for _, p := range iam.Permissions() {
		realmAdmin = append(realmAdmin, iam.PermissionLabel(p))
	}
	roles := &roleTable{roles: map[string][]string{}}
	e := &powerEnv{env: newEnv(t, users.WithRoles(roles)), roles: roles, ids: map[string]string{}}
	for _, u := range []struct {
		realm iam.Realm
		name  string
		roles []string
	}{
		{iam.MasterRealm, "root", []string{iam.RoleAdmin, "offline_access"}},
		{iam.MasterRealm, "boss", []string{"boss", iam.RoleAdmin, iam.RoleRealmAdmin}},
		{iam.MasterRealm, "mra", []string{iam.RoleRealmAdmin}},
		{iam.MasterRealm, "mra2", []string{iam.RoleRealmAdmin}},
		{iam.MasterRealm, "plain", []string{"offline_access"}},
		{"acme", "chief", []string{iam.RoleAdmin}},
		{"acme", "aa", realmAdmin},
		{"acme", "aa2", realmAdmin},
		{"acme", "bob", nil},
		{"acme", "um", []string{"realm-management/manage-users"}},
		{"acme", "umr", []string{"realm-management/manage-users", "realm-management/manage-realm"}},
	} {
		created, err := e.svc.Create(bg(), u.realm, users.User{Username: u.name, Email: u.name + "@example.com", Enabled: true},
			users.NewCredential{Value: "Passw0rd-" + u.name})
		if err != nil {
			t.Fatal(err)
		}
		e.ids[u.name] = created.ID
		roles.roles[string(u.realm)+"/"+created.ID] = u.roles
	}
	return e
}

// as returns a context carrying the principal of user name of realm, as
// the admin guard leaves it (the rule reads roles from the RoleReader,
// not from the principal).
func (e *powerEnv) as(realm iam.Realm, name string) context.Context {
	return iam.WithPrincipal(bg(), &iam.Principal{Subject: e.ids[name], Realm: realm})
}

// change is one way of changing a user.
type change struct {
	name string
	do   func(t *testing.T, e *powerEnv, ctx context.Context, realm iam.Realm, id string) error
}

// changes lists every change to a user the Service offers.
func changes() []change {
	return []change{
		{"Disable", func(t *testing.T, e *powerEnv, ctx context.Context, realm iam.Realm, id string) error {
			off := false
			_, err := e.svc.Update(ctx, realm, id, users.Patch{Enabled: &off})
			return err
		}},
		{"ChangeEmail", func(t *testing.T, e *powerEnv, ctx context.Context, realm iam.Realm, id string) error {
			email := "attacker@example.com"
			_, err := e.svc.Update(ctx, realm, id, users.Patch{Email: &email})
			return err
		}},
		{"Rename", func(t *testing.T, e *powerEnv, ctx context.Context, realm iam.Realm, id string) error {
			name := "renamed"
			_, err := e.svc.Update(ctx, realm, id, users.Patch{Username: &name})
			return err
		}},
		{"SetRequiredActions", func(t *testing.T, e *powerEnv, ctx context.Context, realm iam.Realm, id string) error {
			actions := []string{users.ActionUpdatePassword}
			_, err := e.svc.Update(ctx, realm, id, users.Patch{RequiredActions: &actions})
			return err
		}},
		{"ResetPassword", func(t *testing.T, e *powerEnv, ctx context.Context, realm iam.Realm, id string) error {
			return e.svc.SetPassword(ctx, realm, id, "Attacker-Passw0rd", false)
		}},
		{"RemoveCredential", func(t *testing.T, e *powerEnv, ctx context.Context, realm iam.Realm, id string) error {
			creds, err := e.svc.Credentials(bg(), realm, id)
			if err != nil || len(creds) != 1 {
				t.Fatalf("credentials = %v, %v", creds, err)
			}
			return e.svc.DeleteCredential(ctx, realm, id, creds[0].ID)
		}},
		{"Delete", func(t *testing.T, e *powerEnv, ctx context.Context, realm iam.Realm, id string) error {
			return e.svc.Delete(ctx, realm, id)
		}},
		{"SendVerifyEmail", func(t *testing.T, e *powerEnv, ctx context.Context, realm iam.Realm, id string) error {
			return e.svc.SendVerifyEmail(ctx, realm, id, 0)
		}},
		{"ExecuteActionsEmail", func(t *testing.T, e *powerEnv, ctx context.Context, realm iam.Realm, id string) error {
			return e.svc.ExecuteActionsEmail(ctx, realm, id, []string{users.ActionUpdatePassword}, 0)
		}},
		{"PartialImportOverwrite", func(t *testing.T, e *powerEnv, ctx context.Context, realm iam.Realm, id string) error {
			u, err := e.svc.Get(bg(), realm, id)
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.svc.Import(ctx, realm, users.ImportOverwrite, []users.ImportUser{{
				User:        users.User{Username: u.Username, Enabled: true},
				Credentials: []users.NewCredential{{Value: "Attacker-Passw0rd"}}}})
			return err
		}},
	}
}

func TestNobodyChangesAUserWithMorePowerThanTheirOwn(t *testing.T) {
	master := iam.MasterRealm
	type pair struct {
		name        string
		callerRealm iam.Realm
		caller      string
		targetRealm iam.Realm
		target      string
		want        iam.Code // "" for allowed
	}
	pairs := []pair{
		{"MasterRealmAdminOnTheMasterAdministrator", master, "mra", master, "root", iam.CodeForbidden},
		{"MasterRealmAdminOnAnAdminThroughAComposite", master, "mra", master, "boss", iam.CodeForbidden},
		{"RealmAdminOnItsRealmsAdmin", "acme", "aa", "acme", "chief", iam.CodeForbidden},

		{"MasterRealmAdminOnAnotherMasterRealmAdmin", master, "mra", master, "mra2", ""},
		{"MasterRealmAdminOnAnOrdinaryUser", master, "mra", master, "plain", ""},
		{"RealmAdminOnAnotherRealmAdmin", "acme", "aa", "acme", "aa2", ""},
		{"RealmAdminOnAnOrdinaryUser", "acme", "aa", "acme", "bob", ""},
		// Power is the set of admin roles held, not a rank: acme's admin
		// does not hold realm-admin (as in rbac's escalation rule).
		{"RealmsAdminOnARealmAdminWithoutHoldingRealmAdmin", "acme", "chief", "acme", "aa", iam.CodeForbidden},
		{"MasterAdministratorOnAnotherMasterAdmin", master, "root", master, "boss", ""},
		// The realm-management client's roles are administrative power too.
		{"ManageUsersOnAHolderOfManageRealm", "acme", "um", "acme", "umr", iam.CodeForbidden},
		{"ManageUsersOnARealmAdmin", "acme", "um", "acme", "aa", iam.CodeForbidden},
		{"ManageUsersAndRealmOnAManageUsersHolder", "acme", "umr", "acme", "um", ""},
		{"ManageUsersOnAnOrdinaryUser", "acme", "um", "acme", "bob", ""},
		{"RealmAdminOnAFineGrainedAdmin", "acme", "aa", "acme", "umr", ""},
		{"MasterAdministratorOnAnotherRealmsAdmin", master, "root", "acme", "chief", ""},
	}
	for _, p := range pairs {
		for _, c := range changes() {
			t.Run(p.name+"/"+c.name, func(t *testing.T) {
				e := newPowerEnv(t)
				id := e.ids[p.target]
				before, err := e.svc.Get(bg(), p.targetRealm, id)
				if err != nil {
					t.Fatal(err)
				}
				err = c.do(t, e, e.as(p.callerRealm, p.caller), p.targetRealm, id)
				wantCode(t, err, p.want)
				if p.want == "" {
					return
				}
				contains(t, iam.ErrorMessage(err), "administrative role")
				e.unchanged(t, p.targetRealm, before)
			})
		}
	}
}

// unchanged fails unless user before is as it was, with its password.
func (e *powerEnv) unchanged(t *testing.T, realm iam.Realm, before users.User) {
	t.Helper()
	after, err := e.svc.Get(bg(), realm, before.ID)
	if err != nil {
		t.Fatalf("the refused change removed the user: %v", err)
	}
	if after.Username != before.Username || after.Email != before.Email || after.Enabled != before.Enabled ||
		!slices.Equal(after.RequiredActions, before.RequiredActions) {
		t.Fatalf("the refused change changed the user: %+v, was %+v", after, before)
	}
	if _, err := e.svc.Authenticate(bg(), realm, before.Username, "Passw0rd-"+before.Username); err != nil {
		t.Fatalf("the refused change changed the password: %v", err)
	}
}

func TestPowerRuleEdges(t *testing.T) {
	t.Run("UsersChangeThemselves", func(t *testing.T) {
		e := newPowerEnv(t)
		e.roles.err = iam.Errorf(iam.CodeUnavailable, "rbac is down") // not even asked
		name := "Alice"
		if _, err := e.svc.UpdateAccount(e.as("acme", "chief"), "acme", e.ids["chief"], users.AccountPatch{FirstName: &name}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ChangePassword(e.as("acme", "chief"), "acme", e.ids["chief"], "Passw0rd-chief", "New-Passw0rd-1"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("TrustedCodeWithoutAPrincipalIsNotChecked", func(t *testing.T) {
		e := newPowerEnv(t)
		e.roles.err = iam.Errorf(iam.CodeUnavailable, "rbac is down") // not even asked
		if err := e.svc.SetPassword(bg(), iam.MasterRealm, e.ids["root"], "New-Passw0rd-1", false); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("UnknownRolesRefuseTheChange", func(t *testing.T) {
		e := newPowerEnv(t)
		e.roles.err = iam.Errorf(iam.CodeUnavailable, "rbac is down")
		err := e.svc.SetPassword(e.as(iam.MasterRealm, "mra"), iam.MasterRealm, e.ids["plain"], "New-Passw0rd-1", false)
		wantCode(t, err, iam.CodeUnavailable)
	})
	t.Run("AMissingUserIsNotFoundWhateverTheCaller", func(t *testing.T) {
		e := newPowerEnv(t)
		off := false
		_, err := e.svc.Update(e.as(iam.MasterRealm, "mra"), iam.MasterRealm, "no-such-user", users.Patch{Enabled: &off})
		wantCode(t, err, iam.CodeNotFound)
	})
	t.Run("StaleTokenPowerGrantsNothing", func(t *testing.T) {
		// mra's token still says admin; rbac no longer does.
		e := newPowerEnv(t)
		ctx := iam.WithPrincipal(bg(), &iam.Principal{Subject: e.ids["mra"], Realm: iam.MasterRealm, Roles: []string{iam.RoleAdmin}})
		wantCode(t, e.svc.SetPassword(ctx, iam.MasterRealm, e.ids["root"], "New-Passw0rd-1", false), iam.CodeForbidden)
	})
	t.Run("AnotherRealmsAdminHoldsNothingHere", func(t *testing.T) {
		// chief holds admin in acme, not in master.
		e := newPowerEnv(t)
		wantCode(t, e.svc.SetPassword(e.as("acme", "chief"), iam.MasterRealm, e.ids["mra"], "New-Passw0rd-1", false), iam.CodeForbidden)
	})
	t.Run("PartialImportSkipLeavesAMorePowerfulUserAlone", func(t *testing.T) {
		e := newPowerEnv(t)
		res, err := e.svc.Import(e.as(iam.MasterRealm, "mra"), iam.MasterRealm, users.ImportSkip, []users.ImportUser{{
			User: users.User{Username: "root", Enabled: true}, Credentials: []users.NewCredential{{Value: "Attacker-Passw0rd"}}}})
		if err != nil || res.Skipped != 1 {
			t.Fatalf("import = %+v, %v; want one skipped", res, err)
		}
		if _, err := e.svc.Authenticate(bg(), iam.MasterRealm, "root", "Passw0rd-root"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("RefusedPartialImportAddsNothing", func(t *testing.T) {
		e := newPowerEnv(t)
		_, err := e.svc.Import(e.as(iam.MasterRealm, "mra"), iam.MasterRealm, users.ImportOverwrite, []users.ImportUser{
			{User: users.User{Username: "newcomer", Enabled: true}},
			{User: users.User{Username: "root", Enabled: true}}})
		wantCode(t, err, iam.CodeForbidden)
		if _, err := e.svc.GetByUsername(bg(), iam.MasterRealm, "newcomer"); !errorsIsNotFound(err) {
			t.Fatalf("newcomer after a refused import: %v", err)
		}
	})
	t.Run("PartialImportOverwriteEndsTheUsersSessions", func(t *testing.T) {
		e := newPowerEnv(t)
		if _, err := e.svc.Import(e.as(iam.MasterRealm, "mra"), iam.MasterRealm, users.ImportOverwrite, []users.ImportUser{{
			User: users.User{Username: "plain", Enabled: true}, Credentials: []users.NewCredential{{Value: "Other-Passw0rd"}}}}); err != nil {
			t.Fatal(err)
		}
		contains(t, string(e.pub.last(t, iam.TopicUserCredentialsChanged).Data), e.ids["plain"], users.CredentialsSetByAdmin)
	})
}

func errorsIsNotFound(err error) bool { return iam.ErrorCode(err) == iam.CodeNotFound }
