package users

import (
	"context"
	"slices"

	"github.com/opengate-iam/opengate/iam"
)

// What the browser sign-in (auth's hosted pages) asks of the users service
// besides the account API: the UPDATE_PASSWORD required action and
// self-registration.

// UpdatePassword completes the UPDATE_PASSWORD required action of user id:
// the user, who has just signed in with their current (typically
// temporary) password, chooses a new one. The new password must satisfy
// the realm's policy, including its history rule; the action is cleared
// and user.updated and user.credentials_changed are emitted (every other
// session of the user ends; the caller's own session,
// iam.PrincipalFrom(ctx) when it is the user's, stays). CodeConflict when
// the user has no UPDATE_PASSWORD action (a password change then needs
// the current password: ChangePassword); CodeNotFound (realm, user);
// CodeInvalid (field "password", every violated rule named).
func (s *Service) UpdatePassword(ctx context.Context, realm iam.Realm, id, pw string) error {
	const op = "users.UpdatePassword"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return iam.Wrap(op, err)
	}
	u, err := s.store.Get(ctx, realm, id)
	if err != nil {
		return iam.Wrap(op, userNotFound(err))
	}
	if !slices.Contains(u.RequiredActions, ActionUpdatePassword) {
		return iam.Wrap(op, iam.Conflictf("the user has no pending password update"))
	}
	return iam.Wrap(op, s.replacePassword(ctx, r, u, pw, withoutAction(u.RequiredActions, ActionUpdatePassword), CredentialsChanged))
}

// Registration is what a person gives to register in a realm.
type Registration struct {
	Username  string
	Email     string
	FirstName string
	LastName  string
	Password  string
}

// Register creates an enabled user of realm from a self-registration, with
// its password, when the realm allows registration (registrationAllowed),
// and emits user.created. Errors: CodeForbidden when the realm does not
// allow registration; CodeInvalid naming the field (username, email — which
// is required — or password, every violated rule named); CodeConflict for
// a taken username or email (field set); CodeNotFound for a missing realm.
func (s *Service) Register(ctx context.Context, realm iam.Realm, in Registration) (User, error) {
	const op = "users.Register"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return User{}, iam.Wrap(op, err)
	}
	if !r.RegistrationAllowed {
		return User{}, iam.Wrap(op, iam.Errorf(iam.CodeForbidden, "registration is not allowed in this realm"))
	}
	switch {
	case in.Email == "":
		return User{}, iam.Wrap(op, iam.Invalidf("email", "email is required"))
	case in.Password == "":
		return User{}, iam.Wrap(op, iam.Invalidf("password", "password is required"))
	}
	u := User{Username: in.Username, Email: in.Email, FirstName: in.FirstName, LastName: in.LastName, Enabled: true}
	out, err := s.Create(ctx, realm, u, NewCredential{Type: CredentialPassword, Value: in.Password})
	return out, iam.Wrap(op, err)
}
