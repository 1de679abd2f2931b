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

// standing is a fake iamhttp.Standing.
type standing struct {
	roles func(realm iam.Realm, subject string) ([]string, error)
	calls int
}

func (s *standing) CurrentRoles(_ context.Context, realm iam.Realm, subject string) ([]string, error) {
	s.calls++
	return s.roles(realm, subject)
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
	return mux
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

func TestNilAdminGuardTrustsTheToken(t *testing.T) {
	var g *iamhttp.AdminGuard
	if rec := send(guarded(g), acmeAdmin, "GET", "/admin/realms/acme/things"); rec.Code != 200 {
		t.Fatalf("realm admin = %d", rec.Code)
	}
	if rec := send(guarded(g), nil, "GET", "/admin/realms/acme/things"); rec.Code != 401 {
		t.Fatalf("anonymous = %d", rec.Code)
	}
}
