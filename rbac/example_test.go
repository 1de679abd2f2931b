package rbac_test

import (
	"context"
	"fmt"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
)

func Example() {
	ctx := context.Background()
	svc := rbac.New(rbacmem.New(nil))

	// What the realm.created consumer does, and the bootstrap administrator.
	_ = svc.EnsureRealmDefaults(ctx, iam.MasterRealm)
	_ = svc.AssignRealmRoles(ctx, iam.MasterRealm, "admin-user-id", iam.RoleAdmin)

	// A client role inside a composite realm role.
	_ = svc.PutClient(ctx, "acme", "0190-client-uuid", "billing-app") // from client.created
	invoices, _ := svc.CreateRole(ctx, "acme", rbac.Role{Name: "read-invoices", ClientUUID: "0190-client-uuid"})
	accountant, _ := svc.CreateRole(ctx, "acme", rbac.Role{Name: "accountant"}, invoices.ID)
	_ = svc.AddUserRoles(ctx, "acme", "alice-id", accountant.ID)

	realmRoles, clientRoles, _ := svc.EffectiveRoles(ctx, "acme", "alice-id")
	fmt.Println(realmRoles, clientRoles)
	isAdmin, _ := svc.HasRole(ctx, iam.MasterRealm, "admin-user-id", iam.RoleAdmin)
	fmt.Println(isAdmin)
	// Output:
	// [accountant] map[billing-app:[read-invoices]]
	// true
}

func ExampleNewCachedResolver() {
	ctx := context.Background()
	svc := rbac.New(rbacmem.New(nil)) // stands for rbachttp.NewClient(url, token)
	reader, _ := svc.CreateRole(ctx, "acme", rbac.Role{Name: "reader"})
	roles := rbac.NewCachedResolver(svc)

	_ = svc.AddUserRoles(ctx, "acme", "alice-id", reader.ID)
	realmRoles, _, _ := roles.EffectiveRoles(ctx, "acme", "alice-id") // loaded, then cached
	fmt.Println(realmRoles)

	_ = svc.RemoveUserRoles(ctx, "acme", "alice-id", reader.ID)
	realmRoles, _, _ = roles.EffectiveRoles(ctx, "acme", "alice-id")
	fmt.Println(realmRoles, "(cached)")

	roles.InvalidateUser("acme", "alice-id") // what role_mapping.changed does
	realmRoles, _, _ = roles.EffectiveRoles(ctx, "acme", "alice-id")
	fmt.Println(realmRoles)
	// Output:
	// [reader]
	// [reader] (cached)
	// []
}
