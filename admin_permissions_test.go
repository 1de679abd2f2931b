package opengate_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// Keycloak's mapping of the admin API's routes to the realm-management
// roles they need (all of those listed): the contract under test, written
// out route by route. anyAdmin is any administrative role of the realm.
const anyAdmin iam.Permission = "(any)"

var (
	queryUsers, viewUsers, manageUsers     = iam.PermQueryUsers, iam.PermViewUsers, iam.PermManageUsers
	queryClients, viewClients, manageClnts = iam.PermQueryClients, iam.PermViewClients, iam.PermManageClients
	viewRealm, manageRealm                 = iam.PermViewRealm, iam.PermManageRealm
	viewEvents, manageEvents               = iam.PermViewEvents, iam.PermManageEvents
)

func routeNeeds() map[string][]iam.Permission {
	const a = "/admin/realms/{realm}"
	need := func(p ...iam.Permission) []iam.Permission { return p }
	return map[string][]iam.Permission{
		// realms
		"GET " + a: need(anyAdmin),
		"PUT " + a: need(manageRealm),
		// realm imports and exports (each service then checks its own
		// part: the tests of realmshttp and the services)
		"POST " + a + "/partialImport":  need(manageRealm),
		"POST " + a + "/partial-export": need(viewRealm),
		// users
		"GET " + a + "/users":                                      need(queryUsers),
		"GET " + a + "/users/count":                                need(queryUsers),
		"GET " + a + "/users/{id}":                                 need(viewUsers),
		"GET " + a + "/users/{id}/credentials":                     need(viewUsers),
		"POST " + a + "/users":                                     need(manageUsers),
		"PUT " + a + "/users/{id}":                                 need(manageUsers),
		"DELETE " + a + "/users/{id}":                              need(manageUsers),
		"PUT " + a + "/users/{id}/reset-password":                  need(manageUsers),
		"DELETE " + a + "/users/{id}/credentials/{credId}":         need(manageUsers),
		"PUT " + a + "/users/{id}/send-verify-email":               need(manageUsers),
		"PUT " + a + "/users/{id}/execute-actions-email":           need(manageUsers),
		"GET " + a + "/users/{id}/mfa":                             need(viewUsers),
		"GET " + a + "/users/{id}/mfa-lockout":                     need(viewUsers),
		"DELETE " + a + "/users/{id}/mfa-lockout":                  need(manageUsers),
		"GET " + a + "/attack-detection/brute-force/users/{id}":    need(viewUsers),
		"DELETE " + a + "/attack-detection/brute-force/users/{id}": need(manageUsers),
		// sessions
		"GET " + a + "/users/{id}/sessions":        need(viewUsers),
		"POST " + a + "/users/{id}/logout":         need(manageUsers),
		"DELETE " + a + "/sessions/{sid}":          need(manageUsers),
		"POST " + a + "/logout-all":                need(manageUsers),
		"GET " + a + "/clients/{id}/user-sessions": need(viewClients),
		"GET " + a + "/clients/{id}/session-count": need(viewClients),
		"GET " + a + "/client-session-stats":       need(viewRealm),
		"POST " + a + "/keys/rotate":               need(manageRealm),
		// clients
		"GET " + a + "/clients":                     need(queryClients),
		"POST " + a + "/clients":                    need(iam.PermCreateClient),
		"GET " + a + "/clients/{id}":                need(viewClients),
		"PUT " + a + "/clients/{id}":                need(manageClnts),
		"DELETE " + a + "/clients/{id}":             need(manageClnts),
		"GET " + a + "/clients/{id}/client-secret":  need(manageClnts),
		"POST " + a + "/clients/{id}/client-secret": need(manageClnts),
		// realm roles
		"GET " + a + "/roles":                                        need(anyAdmin),
		"POST " + a + "/roles":                                       need(manageRealm),
		"GET " + a + "/roles/{roleName}":                             need(viewRealm),
		"PUT " + a + "/roles/{roleName}":                             need(manageRealm),
		"DELETE " + a + "/roles/{roleName}":                          need(manageRealm),
		"GET " + a + "/roles/{roleName}/composites":                  need(viewRealm),
		"POST " + a + "/roles/{roleName}/composites":                 need(manageRealm),
		"DELETE " + a + "/roles/{roleName}/composites":               need(manageRealm),
		"GET " + a + "/roles/{roleName}/composites/realm":            need(viewRealm),
		"GET " + a + "/roles/{roleName}/composites/clients/{client}": need(viewRealm),
		"GET " + a + "/roles/{roleName}/users":                       need(viewRealm, queryUsers),
		// roles by id: as the kind of the role; one that does not exist
		// (as here) as a realm role
		"GET " + a + "/roles-by-id/{roleID}":                             need(viewRealm),
		"PUT " + a + "/roles-by-id/{roleID}":                             need(manageRealm),
		"DELETE " + a + "/roles-by-id/{roleID}":                          need(manageRealm),
		"GET " + a + "/roles-by-id/{roleID}/composites":                  need(viewRealm),
		"POST " + a + "/roles-by-id/{roleID}/composites":                 need(manageRealm),
		"DELETE " + a + "/roles-by-id/{roleID}/composites":               need(manageRealm),
		"GET " + a + "/roles-by-id/{roleID}/composites/realm":            need(viewRealm),
		"GET " + a + "/roles-by-id/{roleID}/composites/clients/{client}": need(viewRealm),
		// client roles
		"GET " + a + "/clients/{id}/roles":                                        need(anyAdmin),
		"POST " + a + "/clients/{id}/roles":                                       need(manageClnts),
		"GET " + a + "/clients/{id}/roles/{roleName}":                             need(viewClients),
		"PUT " + a + "/clients/{id}/roles/{roleName}":                             need(manageClnts),
		"DELETE " + a + "/clients/{id}/roles/{roleName}":                          need(manageClnts),
		"GET " + a + "/clients/{id}/roles/{roleName}/composites":                  need(viewClients),
		"POST " + a + "/clients/{id}/roles/{roleName}/composites":                 need(manageClnts),
		"DELETE " + a + "/clients/{id}/roles/{roleName}/composites":               need(manageClnts),
		"GET " + a + "/clients/{id}/roles/{roleName}/composites/realm":            need(viewClients),
		"GET " + a + "/clients/{id}/roles/{roleName}/composites/clients/{client}": need(viewClients),
		"GET " + a + "/clients/{id}/roles/{roleName}/users":                       need(viewClients, queryUsers),
		// scope mappings: reading view-clients, changing manage-clients
		"GET " + a + "/clients/{id}/scope-mappings":                            need(viewClients),
		"GET " + a + "/clients/{id}/scope-mappings/realm":                      need(viewClients),
		"POST " + a + "/clients/{id}/scope-mappings/realm":                     need(manageClnts),
		"DELETE " + a + "/clients/{id}/scope-mappings/realm":                   need(manageClnts),
		"GET " + a + "/clients/{id}/scope-mappings/realm/available":            need(viewClients),
		"GET " + a + "/clients/{id}/scope-mappings/realm/composite":            need(viewClients),
		"GET " + a + "/clients/{id}/scope-mappings/clients/{client}":           need(viewClients),
		"POST " + a + "/clients/{id}/scope-mappings/clients/{client}":          need(manageClnts),
		"DELETE " + a + "/clients/{id}/scope-mappings/clients/{client}":        need(manageClnts),
		"GET " + a + "/clients/{id}/scope-mappings/clients/{client}/available": need(viewClients),
		"GET " + a + "/clients/{id}/scope-mappings/clients/{client}/composite": need(viewClients),
		// role mappings
		"GET " + a + "/users/{id}/role-mappings":                            need(viewUsers),
		"GET " + a + "/users/{id}/role-mappings/realm":                      need(viewUsers),
		"POST " + a + "/users/{id}/role-mappings/realm":                     need(manageUsers),
		"DELETE " + a + "/users/{id}/role-mappings/realm":                   need(manageUsers),
		"GET " + a + "/users/{id}/role-mappings/realm/available":            need(viewUsers),
		"GET " + a + "/users/{id}/role-mappings/realm/composite":            need(viewUsers),
		"GET " + a + "/users/{id}/role-mappings/clients/{client}":           need(viewUsers),
		"POST " + a + "/users/{id}/role-mappings/clients/{client}":          need(manageUsers),
		"DELETE " + a + "/users/{id}/role-mappings/clients/{client}":        need(manageUsers),
		"GET " + a + "/users/{id}/role-mappings/clients/{client}/available": need(viewUsers),
		"GET " + a + "/users/{id}/role-mappings/clients/{client}/composite": need(viewUsers),
		// groups: listing query-groups (view-users implies it), reading
		// view-users, changing manage-users (Keycloak's)
		"GET " + a + "/groups":                                                    need(iam.PermQueryGroups),
		"GET " + a + "/groups/count":                                              need(iam.PermQueryGroups),
		"POST " + a + "/groups":                                                   need(manageUsers),
		"GET " + a + "/groups/{groupId}":                                          need(viewUsers),
		"PUT " + a + "/groups/{groupId}":                                          need(manageUsers),
		"DELETE " + a + "/groups/{groupId}":                                       need(manageUsers),
		"GET " + a + "/groups/{groupId}/children":                                 need(viewUsers),
		"POST " + a + "/groups/{groupId}/children":                                need(manageUsers),
		"GET " + a + "/groups/{groupId}/members":                                  need(viewUsers),
		"GET " + a + "/group-by-path/*":                                           need(viewUsers),
		"GET " + a + "/users/{id}/groups":                                         need(viewUsers),
		"GET " + a + "/users/{id}/groups/count":                                   need(viewUsers),
		"PUT " + a + "/users/{id}/groups/{groupId}":                               need(manageUsers),
		"DELETE " + a + "/users/{id}/groups/{groupId}":                            need(manageUsers),
		"GET " + a + "/groups/{groupId}/role-mappings":                            need(viewUsers),
		"GET " + a + "/groups/{groupId}/role-mappings/realm":                      need(viewUsers),
		"POST " + a + "/groups/{groupId}/role-mappings/realm":                     need(manageUsers),
		"DELETE " + a + "/groups/{groupId}/role-mappings/realm":                   need(manageUsers),
		"GET " + a + "/groups/{groupId}/role-mappings/realm/available":            need(viewUsers),
		"GET " + a + "/groups/{groupId}/role-mappings/realm/composite":            need(viewUsers),
		"GET " + a + "/groups/{groupId}/role-mappings/clients/{client}":           need(viewUsers),
		"POST " + a + "/groups/{groupId}/role-mappings/clients/{client}":          need(manageUsers),
		"DELETE " + a + "/groups/{groupId}/role-mappings/clients/{client}":        need(manageUsers),
		"GET " + a + "/groups/{groupId}/role-mappings/clients/{client}/available": need(viewUsers),
		"GET " + a + "/groups/{groupId}/role-mappings/clients/{client}/composite": need(viewUsers),
		// the mail log (events) and the mail settings (realm)
		"GET " + a + "/notifications":                             need(viewEvents),
		"GET " + a + "/notifications/{id}":                        need(viewEvents),
		"POST " + a + "/notifications/{id}/retry":                 need(manageEvents),
		"POST " + a + "/testSMTPConnection":                       need(manageRealm),
		"GET " + a + "/notification-templates":                    need(viewRealm),
		"GET " + a + "/notification-templates/{kind}/{locale}":    need(viewRealm),
		"PUT " + a + "/notification-templates/{kind}/{locale}":    need(manageRealm),
		"DELETE " + a + "/notification-templates/{kind}/{locale}": need(manageRealm),
	}
}

// implies is Keycloak's rule, written independently of iam's: what each
// role allows besides itself.
func implies(held iam.Permission) []iam.Permission {
	switch held {
	case iam.PermViewUsers:
		return []iam.Permission{queryUsers, iam.PermQueryGroups}
	case iam.PermManageUsers:
		return []iam.Permission{viewUsers, queryUsers, iam.PermQueryGroups}
	case iam.PermViewClients:
		return []iam.Permission{queryClients}
	case iam.PermManageClients:
		return []iam.Permission{viewClients, queryClients, iam.PermCreateClient}
	case iam.PermViewRealm:
		return []iam.Permission{iam.PermQueryRealms}
	case iam.PermManageRealm:
		return []iam.Permission{viewRealm, iam.PermQueryRealms}
	case iam.PermManageEvents:
		return []iam.Permission{viewEvents}
	}
	return nil
}

// allowed reports whether a holder of held may use a route needing needs.
func allowed(held []iam.Permission, needs []iam.Permission) bool {
	for _, n := range needs {
		ok := n == anyAdmin && len(held) > 0
		for _, h := range held {
			ok = ok || h == n || slices.Contains(implies(h), n)
		}
		if !ok {
			return false
		}
	}
	return true
}

// compareBool orders false before true.
func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// fineGrained is a user of acme holding exactly the realm-management roles
// perms, and its token.
type fineGrained struct {
	perms []iam.Permission
	token string
}

// grantRealmManagement makes user username of realm (password "Passw0rd-of-a-test")
// holding the realm-management roles perms, once rbac made them, and
// returns its id and token.
func grantRealmManagement(t *testing.T, e embedded, realm iam.Realm, username string, perms ...iam.Permission) (string, string) {
	t.Helper()
	ctx := context.Background()
	const password = "Passw0rd-of-a-test"
	u, err := e.Users.Create(ctx, realm, users.User{Username: username, Enabled: true},
		users.NewCredential{Type: users.CredentialPassword, Value: password})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "realm-management roles of "+string(realm), func() bool {
		rm, err := e.Clients.GetByClientID(ctx, realm, iam.RealmManagement)
		if err != nil {
			return false
		}
		var ids []string
		for _, p := range perms {
			r, err := e.RBAC.GetRoleByName(ctx, realm, rm.ID, string(p))
			if err != nil {
				return false
			}
			ids = append(ids, r.ID)
		}
		return e.RBAC.AddUserRoles(ctx, realm, u.ID, ids...) == nil
	})
	return u.ID, e.token(t, string(realm), username, password)
}

// TestAdminRoutesNeedKeycloaksFineGrainedRoles walks every admin route of
// the all-in-one: each is in routeNeeds, and for each, a user of acme
// holding some realm-management roles is let through exactly when they
// allow what the route needs (view-users reads users but does not write
// them, manage-users writes, query-users searches, ...); a holder of every
// role of another realm is refused; master's admin is let through.
func TestAdminRoutesNeedKeycloaksFineGrainedRoles(t *testing.T) {
	e := embed(t, opengate.Config{})
	admin := e.token(t, "master", "admin", adminPassword)
	for _, realm := range []string{"acme", "beta"} {
		e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"`+realm+`","enabled":true}`)
	}
	mux := chi.NewRouter()
	e.Mount(mux)
	needs := routeNeeds()
	var routes []adminRoute
	for _, r := range adminRoutes(t, mux) {
		switch r.String() {
		case "GET /admin/realms", "POST /admin/realms", "DELETE /admin/realms/{realm}":
			continue // every administrator's, and master's admin's: TestEveryAdminRouteIsAuthorized
		}
		if _, ok := needs[r.String()]; !ok {
			t.Errorf("%s is not in routeNeeds: which realm-management role does it need?", r)
			continue
		}
		routes = append(routes, r)
	}
	if len(routes) != len(needs) {
		var walked []string
		for _, r := range routes {
			walked = append(walked, r.String())
		}
		for want := range needs {
			if !slices.Contains(walked, want) {
				t.Errorf("routeNeeds lists %s, which is not served", want)
			}
		}
	}

	holders := []fineGrained{
		{perms: []iam.Permission{queryUsers}}, {perms: []iam.Permission{viewUsers}}, {perms: []iam.Permission{manageUsers}},
		{perms: []iam.Permission{queryClients}}, {perms: []iam.Permission{viewClients}}, {perms: []iam.Permission{manageClnts}},
		{perms: []iam.Permission{iam.PermCreateClient}},
		{perms: []iam.Permission{viewRealm}}, {perms: []iam.Permission{manageRealm}},
		{perms: []iam.Permission{viewEvents}}, {perms: []iam.Permission{manageEvents}},
		{perms: []iam.Permission{iam.PermImpersonation}}, {perms: []iam.Permission{iam.PermQueryGroups}},
		{perms: []iam.Permission{viewRealm, queryUsers}}, {perms: []iam.Permission{viewClients, queryUsers}},
	}
	for i := range holders {
		_, holders[i].token = grantRealmManagement(t, e, "acme", "holder"+strconv.Itoa(i), holders[i].perms...)
	}
	_, betaAdmin := grantRealmManagement(t, e, "beta", "beta-admin", iam.PermRealmAdmin)

	// logout-all ends every session of acme, and so the holders' tokens:
	// it runs last, and on each route the callers to refuse go first.
	slices.SortStableFunc(routes, func(a, b adminRoute) int {
		last := func(r adminRoute) bool { return strings.HasSuffix(r.pattern, "/logout-all") }
		switch {
		case last(a) && !last(b):
			return 1
		case last(b) && !last(a):
			return -1
		}
		return 0
	})
	for _, r := range routes {
		t.Run(r.String(), func(t *testing.T) {
			need := needs[r.String()]
			path := r.path("acme")
			ordered := slices.Clone(holders)
			slices.SortStableFunc(ordered, func(a, b fineGrained) int {
				return compareBool(allowed(a.perms, need), allowed(b.perms, need))
			})
			for _, h := range ordered {
				got := status(e.Handler(), r.method, path, h.token)
				switch {
				case allowed(h.perms, need) && (got == 401 || got == 403 || got >= 500):
					t.Errorf("holder of %v = %d, want an answer of the handler (the route needs %v)", h.perms, got, need)
				case !allowed(h.perms, need) && got != 403:
					t.Errorf("holder of %v = %d, want 403 (the route needs %v)", h.perms, got, need)
				}
			}
			if got := status(e.Handler(), r.method, path, betaAdmin); got != 403 {
				t.Errorf("beta's realm-admin = %d, want 403", got)
			}
			if got := status(e.Handler(), r.method, r.path("gamma"), admin); got == 401 || got == 403 || got >= 500 {
				t.Errorf("master's admin = %d, want an answer of the handler", got)
			}
		})
	}
}

// TestRolesByIDNeedTheRolesKind: a client role by id is managed with
// manage-clients, a realm role by id with manage-realm.
func TestRolesByIDNeedTheRolesKind(t *testing.T) {
	e := embed(t, opengate.Config{})
	admin := e.token(t, "master", "admin", adminPassword)
	e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"acme","enabled":true}`)
	ctx := context.Background()
	_, clientsManager := grantRealmManagement(t, e, "acme", "cm", manageClnts)
	_, realmManager := grantRealmManagement(t, e, "acme", "rm", manageRealm)
	e.must(t, 201, "POST", "/admin/realms/acme/clients", admin, `{"clientId":"shop"}`)
	shop, err := e.Clients.GetByClientID(ctx, "acme", "shop")
	if err != nil {
		t.Fatal(err)
	}
	e.must(t, 201, "POST", "/admin/realms/acme/clients/"+shop.ID+"/roles", clientsManager, `{"name":"clerk"}`)
	e.must(t, 201, "POST", "/admin/realms/acme/roles", realmManager, `{"name":"staff"}`)
	clerk, err := e.RBAC.GetRoleByName(ctx, "acme", shop.ID, "clerk")
	if err != nil {
		t.Fatal(err)
	}
	staff, err := e.RBAC.GetRoleByName(ctx, "acme", "", "staff")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		token  string
		roleID string
		status int
	}{
		{"ClientsManagerOnAClientRole", clientsManager, clerk.ID, 204},
		{"ClientsManagerOnARealmRole", clientsManager, staff.ID, 403},
		{"RealmManagerOnARealmRole", realmManager, staff.ID, 204},
		{"RealmManagerOnAClientRole", realmManager, clerk.ID, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.must(t, tt.status, "PUT", "/admin/realms/acme/roles-by-id/"+tt.roleID, tt.token, `{"description":"`+tt.name+`"}`)
		})
	}
}

// TestAFineGrainedAdministratorSeesItsRealmsName: without view-realm, the
// realm (and the realm list) show the name only, as Keycloak.
func TestAFineGrainedAdministratorSeesItsRealmsName(t *testing.T) {
	e := embed(t, opengate.Config{})
	admin := e.token(t, "master", "admin", adminPassword)
	e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"acme","enabled":true,"displayName":"Acme"}`)
	_, viewer := grantRealmManagement(t, e, "acme", "viewer", viewUsers)
	_, realmViewer := grantRealmManagement(t, e, "acme", "realm-viewer", viewRealm)
	var name map[string]any
	if err := json.Unmarshal([]byte(e.must(t, 200, "GET", "/admin/realms/acme", viewer, "")), &name); err != nil {
		t.Fatal(err)
	}
	if len(name) != 1 || name["realm"] != "acme" {
		t.Fatalf("view-users holder sees %v, want the realm's name only", name)
	}
	var full map[string]any
	if err := json.Unmarshal([]byte(e.must(t, 200, "GET", "/admin/realms/acme", realmViewer, "")), &full); err != nil {
		t.Fatal(err)
	}
	if full["displayName"] != "Acme" || full["enabled"] != true {
		t.Fatalf("view-realm holder sees %v, want the representation", full)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(e.must(t, 200, "GET", "/admin/realms", viewer, "")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || len(list[0]) != 1 || list[0]["realm"] != "acme" {
		t.Fatalf("view-users holder lists %v, want acme's name only", list)
	}
	e.must(t, 403, "PUT", "/admin/realms/acme", realmViewer, `{"displayName":"x"}`)
}

// claims decodes the payload of JWT token (already verified by the
// server that issued it).
func claims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// realmManagementClaim returns resource_access["realm-management"].roles of
// token and whether aud names realm-management.
func realmManagementClaim(t *testing.T, token string) ([]string, bool) {
	t.Helper()
	c := claims(t, token)
	var roles []string
	if ra, ok := c["resource_access"].(map[string]any); ok {
		if rm, ok := ra[iam.RealmManagement].(map[string]any); ok {
			for _, r := range rm["roles"].([]any) {
				roles = append(roles, r.(string))
			}
		}
	}
	slices.Sort(roles)
	var aud []string
	switch a := c["aud"].(type) {
	case string:
		aud = []string{a}
	case []any:
		for _, s := range a {
			aud = append(aud, s.(string))
		}
	}
	return roles, slices.Contains(aud, iam.RealmManagement)
}

// TestTokensCarryTheRealmManagementRoles: as Keycloak's, tokens list the
// fine-grained admin roles their subject holds (composites expanded) under
// resource_access.realm-management.roles, with realm-management in aud,
// and say nothing of realm-management for a subject holding none.
func TestTokensCarryTheRealmManagementRoles(t *testing.T) {
	e := embed(t, opengate.Config{})
	ctx := context.Background()
	admin := e.token(t, "master", "admin", adminPassword)
	e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"acme","enabled":true}`)
	_, viewer := grantRealmManagement(t, e, "acme", "viewer", viewUsers)
	_, plain := grantRealmManagement(t, e, "acme", "plain")
	legacyID, _ := grantRealmManagement(t, e, "acme", "legacy")
	if err := e.RBAC.AssignRealmRoles(ctx, "acme", legacyID, iam.RoleRealmAdmin); err != nil {
		t.Fatal(err)
	}
	legacy := e.token(t, "acme", "legacy", "Passw0rd-of-a-test")
	var every []string
	for _, p := range iam.Permissions() {
		every = append(every, string(p))
	}
	slices.Sort(every)
	tests := []struct {
		name  string
		token string
		want  []string
	}{
		{"ViewUsersWithItsComposites", viewer, []string{"query-groups", "query-users", "view-users"}},
		{"TheRealmRoleRealmAdminHoldsEveryOne", legacy, every},
		{"NoneForAnOrdinaryUser", plain, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roles, inAud := realmManagementClaim(t, tt.token)
			if !slices.Equal(roles, tt.want) || inAud != (len(tt.want) > 0) {
				t.Fatalf("resource_access.realm-management.roles = %v (in aud: %v), want %v", roles, inAud, tt.want)
			}
		})
	}
	// The claim is what the admin API honours.
	e.must(t, 200, "GET", "/admin/realms/acme/users", viewer, "")
	e.must(t, 403, "POST", "/admin/realms/acme/users", viewer, `{"username":"mallory"}`)
	e.must(t, 403, "GET", "/admin/realms/acme/users", plain, "")
}

// TestAFineGrainedRoleTakenAwayCountsAtOnce: the admin guard re-reads the
// caller's current client roles, so a token listing manage-users stops
// managing users when the role is unmapped, not when it expires.
func TestAFineGrainedRoleTakenAwayCountsAtOnce(t *testing.T) {
	e := embed(t, opengate.Config{})
	ctx := context.Background()
	admin := e.token(t, "master", "admin", adminPassword)
	e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"acme","enabled":true}`)
	id, tok := grantRealmManagement(t, e, "acme", "manager", manageUsers)
	rm, err := e.Clients.GetByClientID(ctx, "acme", iam.RealmManagement)
	if err != nil {
		t.Fatal(err)
	}
	mapping := "/admin/realms/acme/users/" + id + "/role-mappings/clients/" + rm.ID
	const probe = `{"firstName":"Probe"}`
	user := "/admin/realms/acme/users/" + id
	e.must(t, 204, "PUT", user, tok, probe)
	e.must(t, 204, "DELETE", mapping, admin, `[{"name":"manage-users"}]`)
	e.must(t, 403, "PUT", user, tok, probe)
	e.must(t, 204, "POST", mapping, admin, `[{"name":"manage-users"}]`)
	e.must(t, 204, "PUT", user, tok, probe)
}

// TestAManageUsersHolderGrantsOnlyWhatItHolds: through the admin API, the
// escalation rule covers the fine-grained roles: a manage-users holder
// maps ordinary roles and manage-users, never realm-admin (realm role or
// client role) nor a role it does not hold.
func TestAManageUsersHolderGrantsOnlyWhatItHolds(t *testing.T) {
	e := embed(t, opengate.Config{})
	ctx := context.Background()
	admin := e.token(t, "master", "admin", adminPassword)
	e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"acme","enabled":true}`)
	_, manager := grantRealmManagement(t, e, "acme", "manager", manageUsers)
	friend, _ := grantRealmManagement(t, e, "acme", "friend")
	rm, err := e.Clients.GetByClientID(ctx, "acme", iam.RealmManagement)
	if err != nil {
		t.Fatal(err)
	}
	realmMappings := "/admin/realms/acme/users/" + friend + "/role-mappings/realm"
	clientMappings := "/admin/realms/acme/users/" + friend + "/role-mappings/clients/" + rm.ID
	tests := []struct {
		name, path, body string
		status           int
	}{
		{"TheRealmRoleRealmAdmin", realmMappings, `[{"name":"realm-admin"}]`, 403},
		{"TheClientRoleRealmAdmin", clientMappings, `[{"name":"realm-admin"}]`, 403},
		{"ManageRealm", clientMappings, `[{"name":"manage-realm"}]`, 403},
		{"ViewUsers", clientMappings, `[{"name":"view-users"}]`, 403},
		{"ManageUsers", clientMappings, `[{"name":"manage-users"}]`, 204},
		{"AnOrdinaryRole", realmMappings, `[{"name":"offline_access"}]`, 204},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.must(t, tt.status, "POST", tt.path, manager, tt.body)
		})
	}
	roles, _ := realmManagementClaim(t, e.token(t, "acme", "friend", "Passw0rd-of-a-test"))
	if !slices.Equal(roles, []string{"manage-users"}) {
		t.Fatalf("friend's realm-management roles = %v, want only the one granted", roles)
	}
}

// TestExistingRealmsGetRealmManagementAtStart: a realm made by a version
// without realm-management gets the client, then its roles, when a server
// starts on its databases.
func TestExistingRealmsGetRealmManagementAtStart(t *testing.T) {
	cfg := postgresConfig(t)
	ctx := context.Background()
	old := embed(t, cfg)
	admin := old.token(t, "master", "admin", adminPassword)
	old.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"acme","enabled":true}`)
	var rm clients.Client
	eventually(t, "acme's realm-management and its roles", func() bool {
		var err error
		rm, err = old.Clients.GetByClientID(ctx, "acme", iam.RealmManagement)
		if err != nil {
			return false
		}
		_, err = old.RBAC.GetRoleByName(ctx, "acme", rm.ID, string(iam.PermRealmAdmin))
		return err == nil
	})
	// As an older version left it: no realm-management, no such roles.
	if _, err := cfg.Databases.Clients.Exec(ctx, `DELETE FROM clients WHERE realm_name = 'acme' AND client_id = $1`, iam.RealmManagement); err != nil {
		t.Fatal(err)
	}
	if err := old.RBAC.DeleteClient(ctx, "acme", rm.ID); err != nil {
		t.Fatal(err)
	}
	old.Clients.InvalidateRealm("acme")

	started := embed(t, cfg) // another replica starting on the same databases
	eventually(t, "realm-management given back to acme, with its roles", func() bool {
		c, err := started.Clients.GetByClientID(ctx, "acme", iam.RealmManagement)
		if err != nil || c.ID == rm.ID {
			return false
		}
		_, err = started.RBAC.GetRoleByName(ctx, "acme", c.ID, string(iam.PermViewUsers))
		return err == nil
	})
}
