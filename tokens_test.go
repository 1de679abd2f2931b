package opengate_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/iam"
)

// Tokens die with their realm (issue 10 §2): a realm-admin token of a
// deleted realm is refused at once, before any event is consumed, both
// while the realm is gone and after a realm of the same name is created
// again. The verifier reads each realm's current id on every token.
func TestTokensOfADeletedRealmAreRefusedAtOnce(t *testing.T) {
	for name, config := range map[string]func(*testing.T) opengate.Config{
		"Memory":   func(*testing.T) opengate.Config { return opengate.Config{} },
		"Postgres": postgresConfig,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := embed(t, config(t))
			ctx := context.Background()
			admin := e.token(t, "master", "admin", adminPassword)
			e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"shop","enabled":true}`)
			e.must(t, 201, "POST", "/admin/realms/shop/users", admin,
				`{"username":"alice","enabled":true,"credentials":[{"type":"password","value":"correct-horse-9","temporary":false}]}`)
			alice, err := e.Users.Find(ctx, "shop", "alice")
			if err != nil {
				t.Fatal(err)
			}
			eventually(t, "the new realm's default roles and admin-cli", func() bool {
				_, err := e.Clients.GetByClientID(ctx, "shop", "admin-cli")
				return err == nil && e.RBAC.AssignRealmRoles(ctx, "shop", alice.ID, iam.RoleRealmAdmin) == nil
			})
			old := e.token(t, "shop", "alice", "correct-horse-9")
			e.must(t, 200, "GET", "/admin/realms/shop/users", old, "")

			e.must(t, 204, "DELETE", "/admin/realms/shop", admin, "")
			e.must(t, 401, "GET", "/admin/realms/shop/users", old, "")
			e.must(t, 401, "GET", "/app/whoami", old, "")

			e.must(t, 201, "POST", "/admin/realms", admin, `{"realm":"shop","enabled":true}`)
			e.must(t, 401, "GET", "/admin/realms/shop/users", old, "")
			e.must(t, 401, "GET", "/app/whoami", old, "")
		})
	}
}
