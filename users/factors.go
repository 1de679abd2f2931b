package users

import (
	"context"
	"errors"
	"slices"

	"github.com/opengate-iam/opengate/iam"
)

// FactorCredentials is the MFA service as Keycloak's credential view needs
// it: the user's second factors listed as credentials (an authenticator as
// type "otp") and removed by their id. *mfa.Service and mfahttp.Client
// implement it; it is optional (WithFactorCredentials).
type FactorCredentials interface {
	// Credentials returns the user's second factors as credentials, never
	// a secret; none for a user without factors.
	Credentials(ctx context.Context, realm iam.Realm, userID string) ([]Credential, error)
	// DeleteCredential removes the user's factor credID: CodeNotFound when
	// the user has no such factor.
	DeleteCredential(ctx context.Context, realm iam.Realm, userID, credID string) error
}

// WithFactorCredentials shows the user's second factors from f beside the
// password in Credentials, and removes them through DeleteCredential, as
// Keycloak's admin API does. Without it only the password is a credential.
func WithFactorCredentials(f FactorCredentials) Option { return func(s *Service) { s.factors = f } }

// deleteFactorCredential removes credID through the factors unless it is
// the user's password credential; handled reports whether it was a factor.
func (s *Service) deleteFactorCredential(ctx context.Context, realm iam.Realm, id, credID string) (handled bool, err error) {
	if s.factors == nil {
		return false, nil
	}
	pw, err := s.store.GetPassword(ctx, realm, id)
	switch {
	case err == nil && pw.ID == credID:
		return false, nil
	case err != nil && !errors.Is(err, iam.ErrNotFound):
		return true, err
	}
	err = s.factors.DeleteCredential(ctx, realm, id, credID)
	if errors.Is(err, iam.ErrNotFound) {
		err = &iam.Error{Code: iam.CodeNotFound, Message: "credential not found", Err: err}
	}
	return true, err
}

// CompleteRequiredAction removes action from the user's required actions
// and records user.updated when the user had it (nothing otherwise). The
// MFA service calls it when a user confirms an authenticator
// (CONFIGURE_TOTP). CodeNotFound for a missing realm or user, CodeInvalid
// for an action OpenGate does not know.
func (s *Service) CompleteRequiredAction(ctx context.Context, realm iam.Realm, id, action string) error {
	const op = "users.CompleteRequiredAction"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if !slices.Contains(knownActions, action) {
		return iam.Wrap(op, iam.Invalidf("action", "unknown required action"))
	}
	u, err := s.store.Get(ctx, realm, id)
	if err != nil {
		return iam.Wrap(op, userNotFound(err))
	}
	if !slices.Contains(u.RequiredActions, action) {
		return nil
	}
	_, err = s.store.Update(ctx, realm, id, UpdateOptions{UniqueEmail: !r.DuplicateEmailsAllowed}, func(u *User) ([]iam.Event, error) {
		if !slices.Contains(u.RequiredActions, action) {
			return nil, nil
		}
		u.RequiredActions = withoutAction(u.RequiredActions, action)
		u.UpdatedAt = s.now().UTC()
		return events(func() (iam.Event, error) { return UpdatedEvent(*u) })
	})
	return iam.Wrap(op, userNotFound(err))
}
