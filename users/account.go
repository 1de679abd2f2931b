package users

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// AccountPatch is what users may change of their own profile (nil fields
// stay unchanged). Username is accepted only unchanged: usernames are
// immutable through the account API.
type AccountPatch struct {
	Username  *string
	Email     *string
	FirstName *string
	LastName  *string
}

// UpdateAccount applies a user's change to their own profile and emits
// user.updated. A changed email becomes unverified. CodeInvalid (field
// "username") if p changes the username, otherwise as Update.
func (s *Service) UpdateAccount(ctx context.Context, realm iam.Realm, id string, p AccountPatch) (User, error) {
	const op = "users.UpdateAccount"
	u, err := s.Get(ctx, realm, id)
	if err != nil {
		return User{}, iam.Wrap(op, err)
	}
	if p.Username != nil && NormalizeUsername(*p.Username) != u.Username {
		return User{}, iam.Wrap(op, iam.Invalidf("username", "username cannot be changed"))
	}
	u, err = s.Update(ctx, realm, id, Patch{Email: p.Email, FirstName: p.FirstName, LastName: p.LastName})
	return u, iam.Wrap(op, err)
}
