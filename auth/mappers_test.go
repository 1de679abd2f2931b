package auth_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// groupsOf is a GroupResolver over a map of subject → paths, counting its
// calls; err, when set, is its answer.
type groupsOf struct {
	paths map[string][]string
	calls atomic.Int32
	err   error
}

func (g *groupsOf) UserGroupPaths(_ context.Context, _ iam.Realm, subject string) ([]string, error) {
	g.calls.Add(1)
	if g.err != nil {
		return nil, g.err
	}
	return slices.Clone(g.paths[subject]), nil
}

// mappers are the protocolMappers of client grp: Keycloak's
// group-membership mapper under several configurations, and mappers auth
// must leave alone.
const mappers = `[
 {"name":"groups","protocol":"openid-connect","protocolMapper":"oidc-group-membership-mapper",
  "config":{"claim.name":"groups","full.path":"true","id.token.claim":"true","access.token.claim":"true","userinfo.token.claim":"true"}},
 {"name":"names","protocolMapper":"oidc-group-membership-mapper","config":{"claim.name":"group_names"}},
 {"name":"nested","protocolMapper":"oidc-group-membership-mapper","config":{"claim.name":"org.team\\.s","full.path":true,"access.token.claim":"false","userinfo.token.claim":"true"}},
 {"name":"takes sub","protocolMapper":"oidc-group-membership-mapper","config":{"claim.name":"sub"}},
 {"name":"takes roles","protocolMapper":"oidc-group-membership-mapper","config":{"claim.name":"realm_access.roles"}},
 {"name":"no claim","protocolMapper":"oidc-group-membership-mapper","config":{}},
 {"name":"saml","protocol":"saml","protocolMapper":"oidc-group-membership-mapper","config":{"claim.name":"saml_groups"}},
 {"name":"other type","protocolMapper":"oidc-usermodel-attribute-mapper","config":{"claim.name":"attr"}},
 "not a mapper"
]`

// groupsEnv is an env with client grp (password grant, service account,
// the mappers above) and alice in /eng and /eng/backend.
func groupsEnv(t *testing.T, g *groupsOf, opts ...auth.Option) *env {
	t.Helper()
	e := newEnv(t, append([]auth.Option{auth.WithGroups(g)}, opts...)...)
	e.dir.PutClient(clients.Client{ID: "c-grp", Realm: "acme", ClientID: "grp", Enabled: true,
		DirectAccessGrantsEnabled: true, ServiceAccountsEnabled: true,
		Extra: iam.Extra{"protocolMappers": json.RawMessage(mappers)}}, "grp-secret")
	return e
}

func grpLogin(e *env) *auth.Tokens {
	e.t.Helper()
	return e.mustToken(auth.TokenRequest{GrantType: auth.GrantPassword, Scope: "openid",
		Client:   auth.ClientCredentials{ClientID: "grp", Secret: "grp-secret"},
		Username: "alice", Password: "alice-password", IP: "192.0.2.1"})
}

// strs returns v as []string (JSON arrays decode as []any).
func strs(t *testing.T, v any) []string {
	t.Helper()
	a, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is not an array", v)
	}
	out := make([]string, len(a))
	for i, x := range a {
		out[i] = x.(string)
	}
	return out
}

func TestGroupMembershipMapper(t *testing.T) {
	g := &groupsOf{paths: map[string][]string{alice.ID: {"/eng", "/eng/backend"}}}
	e := groupsEnv(t, g)
	tok := grpLogin(e)
	access, id := jwtPart(t, tok.AccessToken, 1), jwtPart(t, tok.IDToken, 1)
	info, err := e.svc.UserInfo(context.Background(), "acme", tok.AccessToken)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(info)
	if err != nil {
		t.Fatal(err)
	}
	var userinfo map[string]any
	if err := json.Unmarshal(raw, &userinfo); err != nil {
		t.Fatal(err)
	}

	full, names := []string{"/eng", "/eng/backend"}, []string{"eng", "backend"}
	for _, tt := range []struct {
		name   string
		claims map[string]any
		claim  string
		want   []string // nil: absent
	}{
		{"FullPathInTheAccessToken", access, "groups", full},
		{"FullPathInTheIDToken", id, "groups", full},
		{"FullPathInUserinfo", userinfo, "groups", full},
		{"NamesByDefaultInTheAccessTokenOnly", access, "group_names", names},
		{"NotInTheIDTokenByDefault", id, "group_names", nil},
		{"NotInUserinfoWithoutTheIDToken", userinfo, "group_names", nil},
		{"NotInTheAccessTokenWhenOff", access, "org", nil},
		{"SAMLMappersAreLeftAlone", access, "saml_groups", nil},
		{"OtherMapperTypesAreLeftAlone", access, "attr", nil},
	} {
		v, ok := tt.claims[tt.claim]
		if tt.want == nil {
			if ok {
				t.Errorf("%s: claim %s = %v", tt.name, tt.claim, v)
			}
			continue
		}
		if !ok || !slices.Equal(strs(t, v), tt.want) {
			t.Errorf("%s: claim %s = %v, want %v", tt.name, tt.claim, v, tt.want)
		}
	}
	// A dotted name nests; "\." is a dot in a name.
	if org, _ := userinfo["org"].(map[string]any); org == nil || !slices.Equal(strs(t, org["team.s"]), full) {
		t.Errorf("nested claim in userinfo = %v", userinfo["org"])
	}
	// A mapper never replaces a claim OpenGate sets.
	if access["sub"] != alice.ID || !slices.Equal(strs(t, access["realm_access"].(map[string]any)["roles"]), []string{"user"}) {
		t.Errorf("a mapper changed sub or realm_access: %v %v", access["sub"], access["realm_access"])
	}
	if n := g.calls.Load(); n != 2 { // the tokens, then userinfo
		t.Errorf("the groups were read %d times, want 2", n)
	}
}

func TestGroupMembershipMapperEdges(t *testing.T) {
	t.Run("ServiceAccountsGetTheirGroups", func(t *testing.T) {
		g := &groupsOf{paths: map[string][]string{iam.ServiceAccountSubject("c-grp"): {"/robots"}}}
		e := groupsEnv(t, g)
		tok := e.mustToken(auth.TokenRequest{GrantType: auth.GrantClientCredentials,
			Client: auth.ClientCredentials{ClientID: "grp", Secret: "grp-secret"}})
		if got := jwtPart(t, tok.AccessToken, 1)["groups"]; !slices.Equal(strs(t, got), []string{"/robots"}) {
			t.Fatalf("service account's groups = %v", got)
		}
	})
	t.Run("NoGroupsIsAnEmptyList", func(t *testing.T) {
		e := groupsEnv(t, &groupsOf{})
		if got := jwtPart(t, grpLogin(e).AccessToken, 1)["groups"]; got == nil || len(strs(t, got)) != 0 {
			t.Fatalf("groups of a user in none = %#v, want []", got)
		}
	})
	t.Run("ClientsWithoutTheMapperDoNotReadGroups", func(t *testing.T) {
		g := &groupsOf{paths: map[string][]string{alice.ID: {"/eng"}}}
		e := groupsEnv(t, g)
		tok := e.passwordLogin("openid")
		if _, err := e.svc.UserInfo(context.Background(), "acme", tok.AccessToken); err != nil {
			t.Fatal(err)
		}
		if _, ok := jwtPart(t, tok.AccessToken, 1)["groups"]; ok || g.calls.Load() != 0 {
			t.Fatalf("client app has no mapper, yet groups were read %d times", g.calls.Load())
		}
	})
	t.Run("WithoutAGroupResolverMappersAddNothing", func(t *testing.T) {
		e := newEnv(t)
		e.dir.PutClient(clients.Client{ID: "c-grp", Realm: "acme", ClientID: "grp", Enabled: true,
			DirectAccessGrantsEnabled: true, Extra: iam.Extra{"protocolMappers": json.RawMessage(mappers)}}, "grp-secret")
		if _, ok := jwtPart(t, grpLogin(e).AccessToken, 1)["groups"]; ok {
			t.Fatal("a groups claim without a GroupResolver")
		}
	})
	t.Run("MalformedMappersAreIgnored", func(t *testing.T) {
		e := groupsEnv(t, &groupsOf{})
		e.dir.PutClient(clients.Client{ID: "c-grp", Realm: "acme", ClientID: "grp", Enabled: true,
			DirectAccessGrantsEnabled: true, Extra: iam.Extra{"protocolMappers": json.RawMessage(`{"not":"a list"}`)}}, "grp-secret")
		if _, ok := jwtPart(t, grpLogin(e).AccessToken, 1)["groups"]; ok {
			t.Fatal("a groups claim from a malformed protocolMappers")
		}
	})
	t.Run("AnUnavailableResolverFailsTheTokenRequest", func(t *testing.T) {
		e := groupsEnv(t, &groupsOf{err: iam.Errorf(iam.CodeUnavailable, "rbac down")})
		_, err := e.token(auth.TokenRequest{GrantType: auth.GrantPassword,
			Client:   auth.ClientCredentials{ClientID: "grp", Secret: "grp-secret"},
			Username: "alice", Password: "alice-password", IP: "192.0.2.1"})
		if iam.ErrorCode(err) != iam.CodeUnavailable {
			t.Fatalf("token request with rbac down = %v, want unavailable", err)
		}
	})
}
