package iam_test

import (
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

func ExamplePrincipal_CanAdminister() {
	p := &iam.Principal{Subject: "u1", Realm: "acme", Roles: []string{iam.RoleRealmAdmin}}
	fmt.Println(p.CanAdminister("acme"), p.CanAdminister("other"))
	// Output:
	// true false
}

func ExamplePrincipal_Can() {
	// A token's resource_access["realm-management"].roles: view-users and
	// the roles Keycloak composes into it.
	p := &iam.Principal{Subject: "u1", Realm: "acme", ClientRoles: map[string][]string{
		iam.RealmManagement: {"view-users", "query-users", "query-groups"}}}
	fmt.Println(p.Can("acme", iam.PermQueryUsers), p.Can("acme", iam.PermViewUsers), p.Can("acme", iam.PermManageUsers))
	// Output:
	// true true false
}
