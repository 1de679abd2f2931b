package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
)

// tokens is the answer of a password grant with scope openid.
type tokens struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token"`
}

// jwtClaims decodes the payload of a JWT.
func jwtClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// stringList returns the strings of the JSON array v (nil if v is none).
func stringList(v any) []string {
	a, _ := v.([]any)
	var out []string
	for _, x := range a {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// Nested groups with roles, through the all-in-one on PostgreSQL and Redis,
// only over HTTP: a member's tokens carry its direct roles, the composites
// they contain, its group's roles and its parent group's, and the groups
// claim of the client's group-membership mapper; moving the group and
// leaving it change the next tokens at once.
func TestGroupRolesAndTheGroupsClaimInTokens(t *testing.T) {
	s := start(t, productionEnv(t))
	admin := s.token(t, "master", "admin-cli", "admin", s.password)
	realm := uniqueRealm("groups")
	base := "/admin/realms/" + realm
	s.mustCall(t, 201, "POST", "/admin/realms", admin, `{"realm":"`+realm+`","enabled":true}`)
	for _, role := range []string{
		`{"name":"direct"}`, `{"name":"leaf"}`, `{"name":"composite","composites":{"realm":["leaf"]}}`,
		`{"name":"parent-role"}`, `{"name":"child-role"}`,
	} {
		s.mustCall(t, 201, "POST", base+"/roles", admin, role)
	}
	s.mustCall(t, 201, "POST", base+"/clients", admin, `{"clientId":"web","publicClient":true,"directAccessGrantsEnabled":true,
		"protocolMappers":[{"name":"groups","protocol":"openid-connect","protocolMapper":"oidc-group-membership-mapper",
		"config":{"claim.name":"groups","full.path":"true","id.token.claim":"true","access.token.claim":"true"}}]}`)
	resp, _ := s.mustCall(t, 201, "POST", base+"/groups", admin, `{"name":"parent"}`)
	parent := lastSegment(resp.Header.Get("Location"))
	resp, _ = s.mustCall(t, 201, "POST", base+"/groups/"+parent+"/children", admin, `{"name":"child"}`)
	child := lastSegment(resp.Header.Get("Location"))
	s.mustCall(t, 204, "POST", base+"/groups/"+parent+"/role-mappings/realm", admin, s.realmRole(t, admin, realm, "parent-role"))
	s.mustCall(t, 204, "POST", base+"/groups/"+child+"/role-mappings/realm", admin,
		"["+strings.Trim(s.realmRole(t, admin, realm, "child-role"), "[]")+","+strings.Trim(s.realmRole(t, admin, realm, "composite"), "[]")+"]")
	alice := s.createUser(t, admin, realm, "alice", "correct-horse-9")
	s.mustCall(t, 204, "POST", base+"/users/"+alice+"/role-mappings/realm", admin, s.realmRole(t, admin, realm, "direct"))
	s.mustCall(t, 204, "PUT", base+"/users/"+alice+"/groups/"+child, admin, "")

	login := func() tokens {
		t.Helper()
		resp, err := http.PostForm(s.URL+"/realms/"+realm+"/protocol/openid-connect/token", url.Values{
			"grant_type": {"password"}, "client_id": {"web"}, "username": {"alice"}, "password": {"correct-horse-9"},
			"scope": {"openid"},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var tok tokens
		if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 {
			t.Fatalf("password grant: %d, %v", resp.StatusCode, err)
		}
		return tok
	}
	roles := func(claims map[string]any) []string {
		access, _ := claims["realm_access"].(map[string]any)
		return stringList(access["roles"])
	}
	check := func(what string, tok tokens, want, wantNot []string, groups []string) {
		t.Helper()
		access, id := jwtClaims(t, tok.AccessToken), jwtClaims(t, tok.IDToken)
		for _, r := range want {
			if !slices.Contains(roles(access), r) {
				t.Errorf("%s: the access token lacks %s: %v", what, r, roles(access))
			}
		}
		for _, r := range wantNot {
			if slices.Contains(roles(access), r) {
				t.Errorf("%s: the access token holds %s: %v", what, r, roles(access))
			}
		}
		for name, claims := range map[string]map[string]any{"access": access, "ID": id} {
			if got := stringList(claims["groups"]); !slices.Equal(got, groups) {
				t.Errorf("%s: the %s token's groups = %v, want %v", what, name, got, groups)
			}
		}
	}

	// direct: mapped to alice; composite and leaf (inside composite) and
	// child-role: from her group; parent-role: from the group above it.
	check("a member of /parent/child", login(), []string{"direct", "composite", "leaf", "child-role", "parent-role"}, nil,
		[]string{"/parent/child"})
	_, info := s.mustCall(t, 200, "GET", "/realms/"+realm+"/protocol/openid-connect/userinfo", login().AccessToken, "")
	var userinfo map[string]any
	if err := json.Unmarshal([]byte(info), &userinfo); err != nil || !slices.Equal(stringList(userinfo["groups"]), []string{"/parent/child"}) {
		t.Fatalf("userinfo = %s, %v", info, err)
	}

	// Moved to the top level, the group no longer inherits parent-role.
	s.mustCall(t, 204, "POST", base+"/groups", admin, `{"id":"`+child+`","name":"child"}`)
	check("after the move", login(), []string{"direct", "composite", "leaf", "child-role"}, []string{"parent-role"}, []string{"/child"})

	// Leaving the group takes its roles away.
	s.mustCall(t, 204, "DELETE", base+"/users/"+alice+"/groups/"+child, admin, "")
	check("after leaving", login(), []string{"direct"}, []string{"composite", "leaf", "child-role", "parent-role"}, nil)

	// The user's deletion takes her memberships (rbac's user.deleted
	// consumer): a user created again under her id belongs to nothing.
	s.mustCall(t, 204, "PUT", base+"/users/"+alice+"/groups/"+parent, admin, "")
	s.mustCall(t, 204, "DELETE", base+"/users/"+alice, admin, "")
	s.mustCall(t, 201, "POST", base+"/users", admin, `{"id":"`+alice+`","username":"alice2","enabled":true}`)
	boottest.Eventually(t, 10*time.Second, "the deleted user's memberships stay", func() bool {
		_, body := s.mustCall(t, 200, "GET", base+"/users/"+alice+"/groups", admin, "")
		return strings.TrimSpace(body) == "[]"
	})
}

// lastSegment is the id a Location names.
func lastSegment(loc string) string { return loc[strings.LastIndex(loc, "/")+1:] }
