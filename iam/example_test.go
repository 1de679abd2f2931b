package iam_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/opengate-iam/opengate/iam"
)

func ExampleErrorCode() {
	err := iam.Wrap("users.Get", iam.NotFoundf("user %s not found", "u1"))
	fmt.Println(iam.ErrorCode(err), errors.Is(err, iam.ErrNotFound))
	fmt.Println(iam.ErrorMessage(err))

	// A cause that is not an *iam.Error is internal and never shown.
	err = iam.Wrap("userspg.Get", errors.New("connection refused to 10.0.0.5"))
	fmt.Println(iam.ErrorCode(err), iam.ErrorMessage(err))
	// Output:
	// not_found true
	// user u1 not found
	// internal internal error
}

func ExampleAuthorizeAdmin() {
	ctx := iam.WithPrincipal(context.Background(), &iam.Principal{
		Subject: "u1", Realm: "acme", Roles: []string{iam.RoleRealmAdmin},
	})
	fmt.Println(iam.AuthorizeAdmin(ctx, "acme") == nil)
	fmt.Println(iam.ErrorCode(iam.AuthorizeAdmin(ctx, "other")))
	fmt.Println(iam.ErrorCode(iam.AuthorizeAdmin(context.Background(), "acme")))
	// Output:
	// true
	// forbidden
	// unauthenticated
}
