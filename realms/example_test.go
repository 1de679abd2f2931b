package realms_test

import (
	"context"
	"fmt"

	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmsmem"
)

func Example() {
	ctx := context.Background()
	svc := realms.New(realmsmem.New(nil))
	if _, err := svc.EnsureMaster(ctx); err != nil {
		panic(err)
	}
	policy, err := realms.ParsePasswordPolicy("length(12) and digits(1) and notUsername")
	if err != nil {
		panic(err)
	}
	acme, err := svc.Create(ctx, realms.Realm{Name: "acme", Enabled: true, PasswordPolicy: policy})
	if err != nil {
		panic(err)
	}
	fmt.Println(acme.Name, acme.AccessTokenLifespan, acme.SigningAlgorithm)
	fmt.Println(acme.PasswordPolicy)
	fmt.Println(svc.Delete(ctx, "master"))
	// Output:
	// acme 5m0s RS256
	// length(12) and digits(1) and notUsername
	// realms.Delete: invalid: the master realm cannot be deleted
}
