package opengate_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// An administrator's token stops administering as soon as the user is
// disabled, the admin role is taken away, the realm is disabled or — for a
// service account — its client is disabled, not when the token expires
// (issue 10, item 7); and works again when the change is undone, because
// the token itself was never the problem.
func TestAdminTokensFollowTheCallersCurrentState(t *testing.T) {
	for name, config := range map[string]func(*testing.T) opengate.Config{
		"Memory":   func(*testing.T) opengate.Config { return opengate.Config{} },
		"Postgres": postgresConfig,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := embed(t, config(t))
			ctx := context.Background()
			root := e.token(t, "master", "admin", adminPassword)
			e.must(t, 201, "POST", "/admin/realms", root, `{"realm":"acme","enabled":true}`)

			// carol administers acme.
			const password = "Passw0rd-of-carol"
			carol, err := e.Users.Create(ctx, "acme", users.User{Username: "carol", Enabled: true},
				users.NewCredential{Type: users.CredentialPassword, Value: password})
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, "acme's roles and admin-cli", func() bool {
				_, err := e.Clients.GetByClientID(ctx, "acme", "admin-cli")
				return err == nil && e.RBAC.AssignRealmRoles(ctx, "acme", carol.ID, iam.RoleRealmAdmin) == nil
			})
			tok := e.token(t, "acme", "carol", password)
			const probe = "/admin/realms/acme/users?max=1"
			user := "/admin/realms/acme/users/" + carol.ID
			realmAdmin := `[{"name":"realm-admin"}]`
			steps := []struct {
				name, method, path, body string // the change, made by root
				want                     int    // carol's token on probe afterwards
			}{
				{"Before", "", "", "", 200},
				{"UserDisabled", "PUT", user, `{"enabled":false}`, 401},
				{"UserEnabledAgain", "PUT", user, `{"enabled":true}`, 200},
				{"AdminRoleRemoved", "DELETE", user + "/role-mappings/realm", realmAdmin, 403},
				{"AdminRoleGivenBack", "POST", user + "/role-mappings/realm", realmAdmin, 200},
				{"RealmDisabled", "PUT", "/admin/realms/acme", `{"enabled":false}`, 401},
				{"RealmEnabledAgain", "PUT", "/admin/realms/acme", `{"enabled":true}`, 200},
			}
			for _, s := range steps {
				if s.method != "" {
					e.must(t, 204, s.method, s.path, root, s.body)
				}
				if got, body := e.call(t, "GET", probe, tok, ""); got != s.want {
					t.Fatalf("%s: carol's token = %d %s, want %d", s.name, got, body, s.want)
				}
			}

			// A client's service account holding realm-admin.
			e.must(t, 201, "POST", "/admin/realms/acme/clients", root,
				`{"clientId":"robot","publicClient":false,"serviceAccountsEnabled":true,"secret":"robot-secret-0123456789"}`)
			robot, err := e.Clients.GetByClientID(ctx, "acme", "robot")
			if err != nil {
				t.Fatal(err)
			}
			if err := e.RBAC.AssignRealmRoles(ctx, "acme", iam.ServiceAccountSubject(robot.ID), iam.RoleRealmAdmin); err != nil {
				t.Fatal(err)
			}
			robotTok := e.clientToken(t, "acme", "robot", "robot-secret-0123456789")
			client := "/admin/realms/acme/clients/" + robot.ID
			account := "/admin/realms/acme/users/" + iam.ServiceAccountSubject(robot.ID) + "/role-mappings/realm"
			steps = []struct {
				name, method, path, body string
				want                     int
			}{
				{"ServiceAccountBefore", "", "", "", 200},
				{"ClientDisabled", "PUT", client, `{"enabled":false}`, 401},
				{"ClientEnabledAgain", "PUT", client, `{"enabled":true}`, 200},
				{"ServiceAccountsTurnedOff", "PUT", client, `{"serviceAccountsEnabled":false}`, 401},
				{"ServiceAccountsTurnedOn", "PUT", client, `{"serviceAccountsEnabled":true}`, 200},
				{"ServiceAccountRoleRemoved", "DELETE", account, realmAdmin, 403},
			}
			for _, s := range steps {
				if s.method != "" {
					e.must(t, 204, s.method, s.path, root, s.body)
				}
				if got, body := e.call(t, "GET", probe, robotTok, ""); got != s.want {
					t.Fatalf("%s: the service account's token = %d %s, want %d", s.name, got, body, s.want)
				}
			}
		})
	}
}

// clientToken returns an access token of the client-credentials grant.
func (e embedded) clientToken(t *testing.T, realm, clientID, secret string) string {
	t.Helper()
	resp, err := http.PostForm(e.URL+"/realms/"+realm+"/protocol/openid-connect/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {secret},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("client-credentials grant of %s in %s: %d", clientID, realm, resp.StatusCode)
	}
	return body.AccessToken
}
