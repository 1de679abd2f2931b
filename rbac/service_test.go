package rbac_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
	"github.com/opengate-iam/opengate/users"
)

func TestCreateRoleRejectsBadInput(t *testing.T) {
	svc := rbac.New(rbacmem.New(nil))
	tests := []struct {
		name  string
		realm iam.Realm
		role  rbac.Role
		field string
	}{
		{"EmptyName", "acme", rbac.Role{}, "name"},
		{"LongName", "acme", rbac.Role{Name: strings.Repeat("x", 256)}, "name"},
		{"ControlCharacter", "acme", rbac.Role{Name: "a\nb"}, "name"},
		{"SurroundingSpace", "acme", rbac.Role{Name: " a"}, "name"},
		{"InvalidUTF8", "acme", rbac.Role{Name: "a\xff"}, "name"},
		{"LongDescription", "acme", rbac.Role{Name: "a", Description: strings.Repeat("d", 1025)}, "description"},
		{"NULInDescription", "acme", rbac.Role{Name: "a", Description: "a\x00b"}, "description"},
		{"NULInAttributeValue", "acme", rbac.Role{Name: "a", Attributes: map[string][]string{"k": {"a\x00b"}}}, "attributes"},
		{"EmptyAttributeName", "acme", rbac.Role{Name: "a", Attributes: map[string][]string{"": {"v"}}}, "attributes"},
		{"BadRealm", "Acme!", rbac.Role{Name: "a"}, "realm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.CreateRole(context.Background(), tt.realm, tt.role)
			if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != tt.field {
				t.Fatalf("err = %v (field %q), want invalid %q", err, iam.ErrorField(err), tt.field)
			}
		})
	}
}

func TestPrincipalOf(t *testing.T) {
	tests := []struct {
		id   string
		want rbac.Principal
		ok   bool
	}{
		{"0190-user", rbac.Principal{Type: rbac.PrincipalUser, ID: "0190-user"}, true},
		{"service-account-c1", rbac.Principal{Type: rbac.PrincipalServiceAccount, ID: "c1"}, true},
		{"service-account-", rbac.Principal{}, false},
		{"", rbac.Principal{}, false},
		{"has space", rbac.Principal{}, false},
		{strings.Repeat("x", 256), rbac.Principal{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			p, err := rbac.PrincipalOf(tt.id)
			if (err == nil) != tt.ok || p != tt.want {
				t.Fatalf("PrincipalOf(%q) = %+v, %v", tt.id, p, err)
			}
			if tt.ok && p.UserID() != tt.id {
				t.Fatalf("UserID() = %q, want %q", p.UserID(), tt.id)
			}
			if !tt.ok && (iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "id") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestCyclePath(t *testing.T) {
	graph := map[string][]string{"a": {"b"}, "b": {"c", "d"}, "d": {"e"}}
	next := func(id string) []string { return graph[id] }
	tests := []struct {
		name     string
		parent   string
		children []string
		want     string
	}{
		{"NoCycle", "a", []string{"e"}, ""},
		{"Self", "a", []string{"a"}, "a a"},
		{"Direct", "b", []string{"a"}, "b a b"},
		{"Deep", "e", []string{"x", "a"}, "e a b d e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := strings.Join(rbac.CyclePath(tt.parent, tt.children, next), " "); got != tt.want {
				t.Fatalf("CyclePath = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClientResolverFillsUnknownClients(t *testing.T) {
	ctx := context.Background()
	asked := 0
	resolver := rbac.ClientResolverFunc(func(_ context.Context, realm iam.Realm, id string) (string, error) {
		asked++
		if realm == "acme" && id == "c-1" {
			return "app", nil
		}
		return "", iam.NotFoundf("no such client")
	})
	svc := rbac.New(rbacmem.New(nil), rbac.WithClientResolver(resolver))
	r, err := svc.CreateRole(ctx, "acme", rbac.Role{Name: "reader", ClientUUID: "c-1"})
	if err != nil || r.ClientID != "app" {
		t.Fatalf("CreateRole = %+v, %v", r, err)
	}
	if _, err := svc.CreateRole(ctx, "acme", rbac.Role{Name: "writer", ClientUUID: "c-1"}); err != nil {
		t.Fatal(err)
	}
	if asked != 1 {
		t.Fatalf("resolver asked %d times, want once (the answer is remembered)", asked)
	}
	_, err = svc.CreateRole(ctx, "acme", rbac.Role{Name: "x", ClientUUID: "c-2"})
	if iam.ErrorCode(err) != iam.CodeNotFound || !strings.Contains(iam.ErrorMessage(err), "client") {
		t.Fatalf("unknown client: %v", err)
	}
}

func TestServiceAccountHoldsItsOwnRoles(t *testing.T) {
	ctx := context.Background()
	svc := rbac.New(rbacmem.New(nil))
	if err := svc.PutClient(ctx, "acme", "c-1", "backend"); err != nil {
		t.Fatal(err)
	}
	r, err := svc.CreateRole(ctx, "acme", rbac.Role{Name: "sync"})
	if err != nil {
		t.Fatal(err)
	}
	sa := iam.ServiceAccountSubject("c-1")
	if err := svc.AddUserRoles(ctx, "acme", sa, r.ID); err != nil {
		t.Fatal(err)
	}
	realmRoles, _, err := svc.EffectiveRoles(ctx, "acme", sa)
	if err != nil || len(realmRoles) != 1 || realmRoles[0] != "sync" {
		t.Fatalf("service account roles = %v, %v", realmRoles, err)
	}
	if rr, _, _ := svc.EffectiveRoles(ctx, "acme", "c-1"); len(rr) != 0 {
		t.Fatalf("a user with the client's UUID as id shares the service account's roles: %v", rr)
	}
	err = svc.AddUserRoles(ctx, "acme", iam.ServiceAccountSubject("c-unknown"), r.ID)
	if iam.ErrorCode(err) != iam.CodeNotFound {
		t.Fatalf("service account of unknown client: %v", err)
	}
}

func TestAssignRealmRolesByName(t *testing.T) {
	ctx := context.Background()
	svc := rbac.New(rbacmem.New(nil))
	if err := svc.EnsureRealmDefaults(ctx, iam.MasterRealm); err != nil {
		t.Fatal(err)
	}
	if err := svc.AssignRealmRoles(ctx, iam.MasterRealm, "admin-id", iam.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if ok, err := svc.HasRole(ctx, iam.MasterRealm, "admin-id", iam.RoleAdmin); err != nil || !ok {
		t.Fatalf("HasRole(admin) = %v, %v", ok, err)
	}
	err := svc.AssignRealmRoles(ctx, iam.MasterRealm, "admin-id", "offline_access", "no-such-role")
	if iam.ErrorCode(err) != iam.CodeNotFound || !strings.Contains(iam.ErrorMessage(err), "no-such-role") {
		t.Fatalf("unknown role: %v", err)
	}
	if ok, _ := svc.HasRole(ctx, iam.MasterRealm, "admin-id", "offline_access"); ok {
		t.Fatal("a failed AssignRealmRoles mapped some roles")
	}
}

func TestBootstrapAdminGetsAdminRoleOnUserCreated(t *testing.T) {
	ctx := context.Background()
	svc := rbac.New(rbacmem.New(nil), rbac.WithBootstrapAdmin("Admin"))
	created := func(realm iam.Realm, id, username string) {
		t.Helper()
		e, err := iam.NewEvent("/opengate/users", iam.TopicUserCreated, realm, id, users.UserData{ID: id, Username: username})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.HandleEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		realm     iam.Realm
		id        string
		username  string
		wantAdmin bool
	}{
		{"ConfiguredUsernameInMasterIsAdmin", iam.MasterRealm, "u-admin", "admin", true},
		{"OtherUserInMasterIsNot", iam.MasterRealm, "u-bob", "bob", false},
		{"SameUsernameInAnotherRealmIsNot", "acme", "u-acme-admin", "admin", false},
		// The first administrator renamed itself; a user created (or
		// imported) later under the configured username is not made admin.
		{"ConfiguredUsernameTakenLaterIsNot", iam.MasterRealm, "u-impostor", "admin", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created(tt.realm, tt.id, tt.username)
			got, err := svc.HasRole(ctx, iam.MasterRealm, tt.id, iam.RoleAdmin)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.wantAdmin {
				t.Fatalf("HasRole(admin) = %v, want %v", got, tt.wantAdmin)
			}
		})
	}
}

func TestGrantBootstrapAdmin(t *testing.T) {
	ctx := context.Background()
	svc := rbac.New(rbacmem.New(nil), rbac.WithEffectiveRolesCache(0, 0))
	grant := func(id string, want bool) {
		t.Helper()
		got, err := svc.GrantBootstrapAdmin(ctx, id)
		if err != nil || got != want {
			t.Fatalf("GrantBootstrapAdmin(%s) = %v, %v; want %v", id, got, err, want)
		}
		if ok, err := svc.HasRole(ctx, iam.MasterRealm, id, iam.RoleAdmin); err != nil || ok != want {
			t.Fatalf("HasRole(%s, admin) = %v, %v; want %v", id, ok, err, want)
		}
	}
	grant("first", true) // creates master's roles as needed
	grant("first", true) // idempotent: every start of the all-in-one
	grant("second", false)
	// With no administrator left, the bootstrap administrator can be made
	// again.
	admin, err := svc.GetRoleByName(ctx, iam.MasterRealm, "", iam.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RemoveUserRoles(ctx, iam.MasterRealm, "first", admin.ID); err != nil {
		t.Fatal(err)
	}
	grant("second", true)
	// A caller in ctx needs the escalation rule's power.
	svcCtx := iam.WithPrincipal(ctx, &iam.Principal{Subject: "mra", Realm: iam.MasterRealm, Roles: []string{iam.RoleAdmin}})
	if err := svc.RemoveUserRoles(ctx, iam.MasterRealm, "second", admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.GrantBootstrapAdmin(svcCtx, "third"); iam.ErrorCode(err) != iam.CodeForbidden {
		t.Fatalf("GrantBootstrapAdmin by a non-administrator = %v, want forbidden", err)
	}
}
