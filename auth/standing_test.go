package auth_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// Hand-written fakes of the services a Standing reads, one function each.
type (
	realmFunc  func(iam.Realm) (realms.Realm, error)
	clientFunc func(iam.Realm, string) (clients.Client, error)
	userFunc   func(iam.Realm, string) (users.User, error)
	rolesFunc  func(iam.Realm, string) ([]string, error)
)

func (f realmFunc) Get(_ context.Context, realm iam.Realm) (realms.Realm, error) { return f(realm) }
func (f clientFunc) Get(_ context.Context, realm iam.Realm, id string) (clients.Client, error) {
	return f(realm, id)
}
func (f userFunc) Get(_ context.Context, realm iam.Realm, id string) (users.User, error) {
	return f(realm, id)
}
func (f rolesFunc) EffectiveRoles(_ context.Context, realm iam.Realm, subject string) ([]string, map[string][]string, error) {
	roles, err := f(realm, subject)
	return roles, map[string][]string{iam.RealmManagement: {"client-" + strings.Join(roles, ",")}}, err
}

func TestStandingCurrentRoles(t *testing.T) {
	enabledRealm := func(realm iam.Realm) (realms.Realm, error) { return realms.Realm{Name: realm, Enabled: true}, nil }
	enabledUser := func(realm iam.Realm, id string) (users.User, error) {
		return users.User{ID: id, Realm: realm, Enabled: true}, nil
	}
	serviceAccount := func(realm iam.Realm, id string) (clients.Client, error) {
		return clients.Client{ID: id, Realm: realm, Enabled: true, ServiceAccountsEnabled: true}, nil
	}
	tests := []struct {
		name    string
		subject string
		realm   realmFunc
		user    userFunc
		client  clientFunc
		want    []string
		code    iam.Code
	}{
		{"EnabledUserGetsItsCurrentRoles", "u1", enabledRealm, enabledUser, nil, []string{"now"}, ""},
		{"EnabledServiceAccount", iam.ServiceAccountSubject("c1"), enabledRealm, nil, serviceAccount, []string{"now"}, ""},
		{"DisabledUser", "u1", enabledRealm, func(iam.Realm, string) (users.User, error) {
			return users.User{ID: "u1"}, nil
		}, nil, nil, iam.CodeUnauthenticated},
		{"DeletedUser", "u1", enabledRealm, func(iam.Realm, string) (users.User, error) {
			return users.User{}, iam.NotFoundf("user not found")
		}, nil, nil, iam.CodeUnauthenticated},
		{"DisabledRealm", "u1", func(realm iam.Realm) (realms.Realm, error) {
			return realms.Realm{Name: realm}, nil
		}, enabledUser, nil, nil, iam.CodeUnauthenticated},
		{"DeletedRealm", "u1", func(iam.Realm) (realms.Realm, error) {
			return realms.Realm{}, iam.NotFoundf("realm not found")
		}, enabledUser, nil, nil, iam.CodeUnauthenticated},
		{"DisabledClient", iam.ServiceAccountSubject("c1"), enabledRealm, nil, func(realm iam.Realm, id string) (clients.Client, error) {
			return clients.Client{ID: id, ServiceAccountsEnabled: true}, nil
		}, nil, iam.CodeUnauthenticated},
		{"ClientWithoutServiceAccount", iam.ServiceAccountSubject("c1"), enabledRealm, nil, func(realm iam.Realm, id string) (clients.Client, error) {
			return clients.Client{ID: id, Enabled: true}, nil
		}, nil, iam.CodeUnauthenticated},
		{"DeletedClient", iam.ServiceAccountSubject("c1"), enabledRealm, nil, func(iam.Realm, string) (clients.Client, error) {
			return clients.Client{}, iam.NotFoundf("client not found")
		}, nil, iam.CodeUnauthenticated},
		{"UsersServiceDownFailsClosed", "u1", enabledRealm, func(iam.Realm, string) (users.User, error) {
			return users.User{}, iam.Errorf(iam.CodeUnavailable, "users service unreachable")
		}, nil, nil, iam.CodeUnavailable},
		{"RealmsServiceDownFailsClosed", "u1", func(iam.Realm) (realms.Realm, error) {
			return realms.Realm{}, iam.Errorf(iam.CodeUnavailable, "realms service unreachable")
		}, enabledUser, nil, nil, iam.CodeUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			roles := rolesFunc(func(realm iam.Realm, subject string) ([]string, error) {
				if realm != "acme" || subject != tt.subject {
					t.Errorf("EffectiveRoles(%s, %s)", realm, subject)
				}
				return []string{"now"}, nil
			})
			s := auth.NewStanding(tt.realm, tt.client, tt.user, roles)
			got, clientRoles, err := s.CurrentRoles(context.Background(), "acme", tt.subject)
			if iam.ErrorCode(err) != tt.code || !slices.Equal(got, tt.want) {
				t.Fatalf("CurrentRoles = %v, %v; want %v, code %q", got, err, tt.want, tt.code)
			}
			// The client roles (the realm-management client's among them)
			// come along: the admin guard checks fine-grained roles too.
			if tt.code == "" && !slices.Equal(clientRoles[iam.RealmManagement], []string{"client-now"}) {
				t.Fatalf("client roles = %v, want the resolver's", clientRoles)
			}
		})
	}
}
