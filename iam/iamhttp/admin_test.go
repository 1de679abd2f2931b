package iamhttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// standing is a fake iamhttp.Standing: roles answers the realm roles,
// clientRoles (when set) the client roles.
type standing struct {
	roles       func(realm iam.Realm, subject string) ([]string, error)
	clientRoles map[string][]string
	calls       int
}

func (s *standing) CurrentRoles(_ context.Context, realm iam.Realm, subject string) ([]string, map[string][]string, error) {
	s.calls++
	roles, err := s.roles(realm, subject)
	return roles, s.clientRoles, err
}

// guarded serves the three kinds of admin routes behind g; each answers 200
// with the roles of the principal it sees, comma-separated.
func guarded(g *iamhttp.AdminGuard) http.Handler {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(strings.Join(iam.PrincipalFrom(r.Context()).Roles, ",")))
	})
	mux := http.NewServeMux()
	mux.Handle("GET /admin/realms/{realm}/things", g.RealmAdmin(echo))
	mux.Handle("POST /admin/realms", g.MasterAdmin(echo))
	mux.Handle("GET /admin/realms", g.AnyAdmin(echo))
	mux.Handle("GET /admin/realms/{realm}/users", g.Realm(iam.PermQueryUsers)(echo))
	mux.Handle("GET /admin/realms/{realm}/users/{id}", g.Realm(iam.PermViewUsers)(echo))
	mux.Handle("PUT /admin/realms/{realm}/users/{id}", g.Realm(iam.PermManageUsers)(echo))
	mux.Handle("GET /admin/realms/{realm}/roles/{name}/users", g.Realm(iam.PermViewRealm, iam.PermQueryUsers)(echo))
	mux.Handle("GET /admin/realms/{realm}/roles", g.RealmAnyAdmin(echo))
	return mux
}

// rm is a principal of realm holding the realm-management roles perms (and
// realm role "user").
func rm(realm iam.Realm, perms ...iam.Permission) *iam.Principal {
	roles := make([]string, len(perms))
	for i, p := range perms {
		roles[i] = string(p)
	}
	return &iam.Principal{Subject: "rm", Realm: realm, Roles: []string{"user"},
		ClientRoles: map[string][]string{iam.RealmManagement: roles}}
}

// send calls h as p (nil: anonymous).
func send(h http.Handler, p *iam.Principal, method, path string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	if p != nil {
		req = req.WithContext(iam.WithPrincipal(req.Context(), p))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

var (
	masterAdmin      = &iam.Principal{Subject: "root", Realm: iam.MasterRealm, Roles: []string{iam.RoleAdmin}}
	masterRealmAdmin = &iam.Principal{Subject: "mra", Realm: iam.MasterRealm, Roles: []string{iam.RoleRealmAdmin}}
	acmeAdmin        = &iam.Principal{Subject: "a1", Realm: "acme", Roles: []string{iam.RoleRealmAdmin}}
	betaAdmin        = &iam.Principal{Subject: "b1", Realm: "beta", Roles: []string{iam.RoleRealmAdmin}}
	acmeUser         = &iam.Principal{Subject: "u1", Realm: "acme", Roles: []string{"user"}}
)

func TestAdminGuardOnTheTokensRoles(t *testing.T) {
	h := guarded(iamhttp.NewAdminGuard(nil))
	tests := []struct {
		name         string
		p            *iam.Principal
		method, path string
		status       int
	}{
		{"AnonymousIsUnauthenticated", nil, "GET", "/admin/realms/acme/things", 401},
		{"OrdinaryUserIsForbidden", acmeUser, "GET", "/admin/realms/acme/things", 403},
		{"AnotherRealmsAdminIsForbidden", betaAdmin, "GET", "/admin/realms/acme/things", 403},
		{"RealmAdminOfThePathsRealm", acmeAdmin, "GET", "/admin/realms/acme/things", 200},
		{"MasterAdminInAnyRealm", masterAdmin, "GET", "/admin/realms/acme/things", 200},
		{"MasterRealmAdminOnlyInMaster", masterRealmAdmin, "GET", "/admin/realms/acme/things", 403},
		{"MalformedRealmIsInvalid", masterAdmin, "GET", "/admin/realms/Not!A!Realm/things", 400},
		{"MalformedRealmAnonymousIsUnauthenticated", nil, "GET", "/admin/realms/Not!A!Realm/things", 401},

		{"MasterOnlyRouteForMasterAdmin", masterAdmin, "POST", "/admin/realms", 200},
		{"MasterOnlyRouteRefusesMasterRealmAdmin", masterRealmAdmin, "POST", "/admin/realms", 403},
		{"MasterOnlyRouteRefusesRealmAdmin", acmeAdmin, "POST", "/admin/realms", 403},
		{"MasterOnlyRouteAnonymous", nil, "POST", "/admin/realms", 401},

		{"AnyAdminRouteForRealmAdmin", acmeAdmin, "GET", "/admin/realms", 200},
		{"AnyAdminRouteRefusesOrdinaryUser", acmeUser, "GET", "/admin/realms", 403},
		{"AnyAdminRouteAnonymous", nil, "GET", "/admin/realms", 401},
		{"AnyAdminRouteForAFineGrainedRole", rm("acme", iam.PermQueryUsers), "GET", "/admin/realms", 200},

		{"FullAdminRouteRefusesAFineGrainedRole", rm("acme", iam.PermManageRealm), "GET", "/admin/realms/acme/things", 403},
		{"FullAdminRouteForTheRealmAdminClientRole", rm("acme", iam.PermRealmAdmin), "GET", "/admin/realms/acme/things", 200},
		{"ViewUsersReads", rm("acme", iam.PermViewUsers), "GET", "/admin/realms/acme/users/u1", 200},
		{"ViewUsersSearches", rm("acme", iam.PermViewUsers), "GET", "/admin/realms/acme/users", 200},
		{"ViewUsersDoesNotWrite", rm("acme", iam.PermViewUsers), "PUT", "/admin/realms/acme/users/u1", 403},
		{"ManageUsersWrites", rm("acme", iam.PermManageUsers), "PUT", "/admin/realms/acme/users/u1", 200},
		{"QueryUsersSearches", rm("acme", iam.PermQueryUsers), "GET", "/admin/realms/acme/users", 200},
		{"QueryUsersDoesNotRead", rm("acme", iam.PermQueryUsers), "GET", "/admin/realms/acme/users/u1", 403},
		{"AnotherRealmsManageUsersIsRefused", rm("beta", iam.PermManageUsers), "PUT", "/admin/realms/acme/users/u1", 403},
		{"MasterAdminWrites", masterAdmin, "PUT", "/admin/realms/acme/users/u1", 200},
		{"EveryPermissionIsNeeded", rm("acme", iam.PermViewRealm), "GET", "/admin/realms/acme/roles/r/users", 403},
		{"EveryPermissionHeld", rm("acme", iam.PermViewRealm, iam.PermQueryUsers), "GET", "/admin/realms/acme/roles/r/users", 200},
		{"AnyRealmAdminRouteForAnyRole", rm("acme", iam.PermQueryClients), "GET", "/admin/realms/acme/roles", 200},
		{"AnyRealmAdminRouteRefusesOrdinaryUser", acmeUser, "GET", "/admin/realms/acme/roles", 403},
		{"AnyRealmAdminRouteRefusesAnotherRealm", rm("beta", iam.PermRealmAdmin), "GET", "/admin/realms/acme/roles", 403},
		{"FineGrainedMalformedRealmIsInvalid", rm("acme", iam.PermViewUsers), "GET", "/admin/realms/Not!A!Realm/users", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := send(h, tt.p, tt.method, tt.path)
			if rec.Code != tt.status {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, rec.Code, rec.Body, tt.status)
			}
			if rec.Code >= 400 && errorBody(t, rec).Error == "" {
				t.Fatalf("error without a code: %s", rec.Body)
			}
		})
	}
}

func TestAdminGuardChecksCurrentStanding(t *testing.T) {
	tests := []struct {
		name   string
		p      *iam.Principal
		roles  []string
		err    error
		status int
		body   string // the roles the handler sees, on 200
	}{
		{"StillAdmin", acmeAdmin, []string{iam.RoleRealmAdmin, "x"}, nil, 200, "realm-admin,x"},
		{"DisabledSubjectOrRealm", acmeAdmin, nil, iam.Errorf(iam.CodeUnauthenticated, "user disabled"), 401, ""},
		{"AdminRoleRemoved", acmeAdmin, []string{"x"}, nil, 403, ""},
		{"MasterAdminDemotedToRealmAdmin", masterAdmin, []string{iam.RoleRealmAdmin}, nil, 403, ""},
		{"StandingUnknownFailsClosed", acmeAdmin, nil, iam.Errorf(iam.CodeUnavailable, "users service down"), 503, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &standing{roles: func(realm iam.Realm, subject string) ([]string, error) {
				if realm != tt.p.Realm || subject != tt.p.Subject {
					t.Errorf("CurrentRoles(%s, %s), want the token's realm and subject", realm, subject)
				}
				return tt.roles, tt.err
			}}
			rec := send(guarded(iamhttp.NewAdminGuard(st)), tt.p, "GET", "/admin/realms/acme/things")
			if rec.Code != tt.status || (tt.status == 200 && rec.Body.String() != tt.body) {
				t.Fatalf("= %d %s, want %d %s", rec.Code, rec.Body, tt.status, tt.body)
			}
		})
	}
	t.Run("NoLookupForACallerTheTokenAlreadyRefuses", func(t *testing.T) {
		st := &standing{roles: func(iam.Realm, string) ([]string, error) { return []string{iam.RoleAdmin}, nil }}
		if rec := send(guarded(iamhttp.NewAdminGuard(st)), acmeUser, "GET", "/admin/realms/acme/things"); rec.Code != 403 || st.calls != 0 {
			t.Fatalf("= %d after %d lookups, want 403 after none", rec.Code, st.calls)
		}
	})
	t.Run("TheTokensRolesAreNotChanged", func(t *testing.T) {
		p := &iam.Principal{Subject: "a1", Realm: "acme", Roles: []string{iam.RoleRealmAdmin}}
		st := &standing{roles: func(iam.Realm, string) ([]string, error) { return []string{iam.RoleRealmAdmin, "y"}, nil }}
		send(guarded(iamhttp.NewAdminGuard(st)), p, "GET", "/admin/realms/acme/things")
		if !slices.Equal(p.Roles, []string{iam.RoleRealmAdmin}) {
			t.Fatalf("token principal's roles = %v", p.Roles)
		}
	})
}

// TestAdminGuardRechecksCurrentClientRoles: a fine-grained role taken away
// counts at once, and one granted since the token counts too (the handler
// sees the current roles).
func TestAdminGuardRechecksCurrentClientRoles(t *testing.T) {
	none := func(iam.Realm, string) ([]string, error) { return []string{"user"}, nil }
	t.Run("ManageUsersTakenAway", func(t *testing.T) {
		st := &standing{roles: none, clientRoles: map[string][]string{iam.RealmManagement: {"view-users"}}}
		if rec := send(guarded(iamhttp.NewAdminGuard(st)), rm("acme", iam.PermManageUsers), "PUT", "/admin/realms/acme/users/u1"); rec.Code != 403 {
			t.Fatalf("= %d %s, want 403", rec.Code, rec.Body)
		}
	})
	t.Run("StillHeld", func(t *testing.T) {
		st := &standing{roles: none, clientRoles: map[string][]string{iam.RealmManagement: {"manage-users"}}}
		if rec := send(guarded(iamhttp.NewAdminGuard(st)), rm("acme", iam.PermManageUsers), "PUT", "/admin/realms/acme/users/u1"); rec.Code != 200 {
			t.Fatalf("= %d %s, want 200", rec.Code, rec.Body)
		}
	})
	t.Run("TheHandlerSeesTheCurrentClientRoles", func(t *testing.T) {
		st := &standing{roles: none, clientRoles: map[string][]string{iam.RealmManagement: {"manage-users", "view-realm"}}}
		var seen []string
		h := iamhttp.NewAdminGuard(st).Realm(iam.PermManageUsers)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = iam.PrincipalFrom(r.Context()).ClientRoles[iam.RealmManagement]
		}))
		req := httptest.NewRequest("PUT", "/admin/realms/acme/users/u1", nil)
		req.SetPathValue("realm", "acme")
		req = req.WithContext(iam.WithPrincipal(req.Context(), rm("acme", iam.PermManageUsers)))
		h.ServeHTTP(httptest.NewRecorder(), req)
		if !slices.Equal(seen, []string{"manage-users", "view-realm"}) {
			t.Fatalf("handler saw %v", seen)
		}
	})
}

// TestAdminGuardRealmFor: the needed roles depend on the request, are asked
// for once per request and only for an administrator of the realm.
func TestAdminGuardRealmFor(t *testing.T) {
	calls := 0
	need := func(r *http.Request) ([]iam.Permission, error) {
		calls++
		switch r.PathValue("id") {
		case "client-role":
			return []iam.Permission{iam.PermManageClients}, nil
		case "broken":
			return nil, iam.Errorf(iam.CodeUnavailable, "store down")
		}
		return []iam.Permission{iam.PermManageRealm}, nil
	}
	st := &standing{roles: func(iam.Realm, string) ([]string, error) { return nil, nil },
		clientRoles: map[string][]string{iam.RealmManagement: {"manage-clients"}}}
	mux := http.NewServeMux()
	mux.Handle("PUT /admin/realms/{realm}/roles-by-id/{id}", iamhttp.NewAdminGuard(st).RealmFor(need)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	tests := []struct {
		name   string
		p      *iam.Principal
		id     string
		status int
		calls  int
	}{
		{"ClientRoleForAClientsManager", rm("acme", iam.PermManageClients), "client-role", 200, 1},
		{"RealmRoleRefusedToAClientsManager", rm("acme", iam.PermManageClients), "realm-role", 403, 1},
		{"NoLookupForANonAdministrator", acmeUser, "client-role", 403, 0},
		{"NoLookupForAnotherRealm", rm("beta", iam.PermRealmAdmin), "client-role", 403, 0},
		{"FailedLookupIsTheAnswer", rm("acme", iam.PermManageClients), "broken", 503, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls = 0
			rec := send(mux, tt.p, "PUT", "/admin/realms/acme/roles-by-id/"+tt.id)
			if rec.Code != tt.status || calls != tt.calls {
				t.Fatalf("= %d %s after %d lookups, want %d after %d", rec.Code, rec.Body, calls, tt.status, tt.calls)
			}
		})
	}
}

func TestNilAdminGuardTrustsTheToken(t *testing.T) {
	var g *iamhttp.AdminGuard
	if rec := send(guarded(g), acmeAdmin, "GET", "/admin/realms/acme/things"); rec.Code != 200 {
		t.Fatalf("realm admin = %d", rec.Code)
	}
	if rec := send(guarded(g), nil, "GET", "/admin/realms/acme/things"); rec.Code != 401 {
		t.Fatalf("anonymous = %d", rec.Code)
	}
}
