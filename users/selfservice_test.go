package users_test

import (
	"slices"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/userstest"
)

func TestUpdatePasswordCompletesTheRequiredAction(t *testing.T) {
	e := newEnv(t)
	u := e.alice(t, "pw")
	wantCode(t, e.svc.UpdatePassword(bg(), "acme", u.ID, "new-pw"), iam.CodeConflict)
	if err := e.svc.SetPassword(bg(), "acme", u.ID, "temporary", true); err != nil {
		t.Fatal(err)
	}
	e.policy(realms.PasswordPolicy{MinLength: 8})
	wantField(t, e.svc.UpdatePassword(bg(), "acme", u.ID, "short"), "password")
	if err := e.svc.UpdatePassword(bg(), "acme", u.ID, "a-new-password"); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Get(bg(), "acme", u.ID)
	if slices.Contains(got.RequiredActions, users.ActionUpdatePassword) {
		t.Fatalf("required actions = %v", got.RequiredActions)
	}
	if _, err := e.svc.Authenticate(bg(), "acme", "alice", "a-new-password"); err != nil {
		t.Fatal(err)
	}
	if e.pub.last(t, iam.TopicUserCredentialsChanged).Subject != u.ID {
		t.Fatal("no user.credentials_changed for the user")
	}
	wantCode(t, e.svc.UpdatePassword(bg(), "acme", u.ID, "another-password"), iam.CodeConflict)
}

func TestRegister(t *testing.T) {
	e := newEnv(t)
	in := users.Registration{Username: "Bob", Email: "Bob@Example.com", FirstName: "Bob", Password: "bob-password"}
	_, err := e.svc.Register(bg(), "acme", in)
	wantCode(t, err, iam.CodeForbidden)

	open := userstest.Realm("acme")
	open.RegistrationAllowed = true
	e.realms.Put(open)
	noEmail := in
	noEmail.Email = ""
	_, err = e.svc.Register(bg(), "acme", noEmail)
	wantField(t, err, "email")
	u, err := e.svc.Register(bg(), "acme", in)
	if err != nil {
		t.Fatal(err)
	}
	if u.Username != "bob" || u.Email != "bob@example.com" || !u.Enabled || u.EmailVerified {
		t.Fatalf("registered = %+v", u)
	}
	if _, err := e.svc.Authenticate(bg(), "acme", "bob", "bob-password"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Register(bg(), "acme", in)
	wantConflict(t, err, "username")
}
