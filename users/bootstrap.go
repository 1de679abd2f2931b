package users

import (
	"context"
	"errors"

	"github.com/opengate-iam/opengate/iam"
)

// EnsureAdmin creates the enabled user username with password in the master
// realm unless a user of that name exists there, and reports whether it
// created one. An existing user is returned unchanged (its password is not
// touched), so EnsureAdmin is safe to call on every start and from several
// replicas at once. The master realm must exist (CodeNotFound otherwise);
// the password must satisfy master's policy. Granting the admin role is the
// caller's business (rbac).
func (s *Service) EnsureAdmin(ctx context.Context, username, password string) (User, bool, error) {
	const op = "users.EnsureAdmin"
	u, err := s.GetByUsername(ctx, iam.MasterRealm, username)
	if err == nil {
		return u, false, nil
	}
	if !errors.Is(err, iam.ErrNotFound) || errors.Is(err, ErrRealmNotFound) {
		return User{}, false, iam.Wrap(op, err)
	}
	u, err = s.Create(ctx, iam.MasterRealm, User{Username: username, Enabled: true},
		NewCredential{Type: CredentialPassword, Value: password})
	if errors.Is(err, iam.ErrConflict) {
		// Another replica created it first.
		u, err = s.GetByUsername(ctx, iam.MasterRealm, username)
		return u, false, iam.Wrap(op, err)
	}
	if err != nil {
		return User{}, false, iam.Wrap(op, err)
	}
	return u, true, nil
}
