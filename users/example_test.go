package users_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userstest"
)

func Example() {
	ctx := context.Background()
	// In production the realms service is the RealmGetter.
	rs := userstest.NewRealms(userstest.Realm("acme"))
	svc := users.New(usersmem.New(nil), rs)

	_, err := svc.Create(ctx, "acme", users.User{Username: "Alice", Email: "alice@example.com", Enabled: true},
		users.NewCredential{Value: "correct horse battery staple"})
	if err != nil {
		panic(err)
	}
	u, err := svc.Authenticate(ctx, "acme", "alice@example.com", "correct horse battery staple")
	fmt.Println(u.Username, err)

	_, err = svc.Authenticate(ctx, "acme", "alice", "wrong")
	fmt.Println(errors.Is(err, iam.ErrUnauthenticated), errors.Is(err, users.ErrBadCredentials), iam.ErrorMessage(err))
	// Output:
	// alice <nil>
	// true true invalid username or password
}
