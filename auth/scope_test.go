package auth_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// claimRoles returns realm_access.roles and resource_access's roles by
// client of a decoded token payload.
func claimRoles(t *testing.T, claims map[string]any) (realmRoles []string, clientRoles map[string][]string) {
	t.Helper()
	strs := func(v any) []string {
		var out []string
		for _, s := range v.([]any) {
			out = append(out, s.(string))
		}
		return out
	}
	if ra, ok := claims["realm_access"].(map[string]any); ok {
		realmRoles = strs(ra["roles"])
	}
	if res, ok := claims["resource_access"].(map[string]any); ok {
		clientRoles = map[string][]string{}
		for client, v := range res {
			clientRoles[client] = strs(v.(map[string]any)["roles"])
		}
	}
	return realmRoles, clientRoles
}

// scopedEnv is newEnv with a client "narrow" that does not allow full scope
// (for the password grant and its service account) and whose scope holds
// the realm role user and api's reader; alice holds user, admin, app's
// viewer and api's reader and writer, and narrow's service account the
// same.
func scopedEnv(t *testing.T) *env {
	e := newEnv(t)
	e.dir.PutClient(clients.Client{ID: "c-narrow", Realm: "acme", ClientID: "narrow", Enabled: true,
		DirectAccessGrantsEnabled: true, ServiceAccountsEnabled: true, FullScopeDisabled: true}, "narrow-secret")
	held := map[string][]string{"app": {"viewer"}, "api": {"reader", "writer"}}
	e.dir.SetRoles("acme", alice.ID, []string{"admin", "user"}, held)
	e.dir.SetRoles("acme", iam.ServiceAccountSubject("c-narrow"), []string{"admin", "user"}, held)
	e.dir.SetScope("acme", "c-narrow", []string{"offline_access", "user"}, map[string][]string{"api": {"reader"}, "narrow": {"own"}})
	return e
}

// A client that does not allow full scope issues tokens carrying only the
// subject's roles within its scope, whatever the grant, and keeps doing so
// on refresh and in introspection; a client allowing full scope (app) is
// unchanged.
func TestTokensOfARestrictedClientCarryOnlyScopedRoles(t *testing.T) {
	narrowed := struct {
		realm   []string
		clients map[string][]string
	}{[]string{"user"}, map[string][]string{"api": {"reader"}}}
	for _, c := range []struct {
		name        string
		token       func(e *env) *auth.Tokens
		wantRealm   []string
		wantClients map[string][]string
	}{
		{"PasswordGrant", func(e *env) *auth.Tokens {
			return e.mustToken(auth.TokenRequest{GrantType: auth.GrantPassword, Client: auth.ClientCredentials{ClientID: "narrow", Secret: "narrow-secret"},
				Username: "alice", Password: "alice-password"})
		}, narrowed.realm, narrowed.clients},
		{"ClientCredentials", func(e *env) *auth.Tokens {
			return e.mustToken(auth.TokenRequest{GrantType: auth.GrantClientCredentials, Client: auth.ClientCredentials{ClientID: "narrow", Secret: "narrow-secret"}})
		}, narrowed.realm, narrowed.clients},
		{"RefreshKeepsTheScope", func(e *env) *auth.Tokens {
			first := e.mustToken(auth.TokenRequest{GrantType: auth.GrantPassword, Client: auth.ClientCredentials{ClientID: "narrow", Secret: "narrow-secret"},
				Username: "alice", Password: "alice-password"})
			return e.mustToken(refreshReq(first.RefreshToken, "narrow", "narrow-secret"))
		}, narrowed.realm, narrowed.clients},
		{"FullScopeAllowedIsUnchanged", func(e *env) *auth.Tokens { return e.passwordLogin("") },
			[]string{"admin", "user"}, map[string][]string{"app": {"viewer"}, "api": {"reader", "writer"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := scopedEnv(t)
			tok := c.token(e)
			rr, cr := claimRoles(t, jwtPart(t, tok.AccessToken, 1))
			if !reflect.DeepEqual(rr, c.wantRealm) || !reflect.DeepEqual(cr, c.wantClients) {
				t.Errorf("token roles = %v %v, want %v %v", rr, cr, c.wantRealm, c.wantClients)
			}
			in := e.introspect(tok.AccessToken)
			if !in.Active || in.Claims.RealmAccess == nil || !reflect.DeepEqual(in.Claims.RealmAccess.Roles, c.wantRealm) {
				t.Errorf("introspected realm roles = %+v, want %v", in.Claims.RealmAccess, c.wantRealm)
			}
		})
	}
}

// The scope is read only for clients that do not allow full scope, and a
// failure to read it fails the grant rather than issuing roles unscoped.
func TestScopeFailureFailsTheGrant(t *testing.T) {
	e := scopedEnv(t)
	reads := 0
	e.dir.Fail = func(method string) error {
		if method != "roles.ScopeRoleNames" {
			return nil
		}
		reads++
		return iam.Errorf(iam.CodeUnavailable, "rbac down")
	}
	e.passwordLogin("")
	if reads != 0 {
		t.Fatalf("a client allowing full scope read its scope %d times", reads)
	}
	_, err := e.svc.Token(context.Background(), auth.TokenRequest{Realm: "acme", GrantType: auth.GrantClientCredentials,
		Client: auth.ClientCredentials{ClientID: "narrow", Secret: "narrow-secret"}})
	if iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("err = %v, want unavailable", err)
	}
}
