package mfa

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// Keycloak's credential types of the factors.
const (
	// CredentialOTP is Keycloak's type of an OTP credential.
	CredentialOTP = "otp"
	// CredentialRecoveryCodes is Keycloak 26's type of recovery codes.
	CredentialRecoveryCodes = "recovery-authn-codes"
)

// The users service shows the factors (users.WithFactorCredentials), and
// its Service completes CONFIGURE_TOTP (WithRequiredActions).
var (
	_ users.FactorCredentials = (*Service)(nil)
	_ RequiredActions         = (*users.Service)(nil)
)

// credentialType is Keycloak's type of a factor type.
func credentialType(factorType string) string {
	if factorType == TypeRecoveryCodes {
		return CredentialRecoveryCodes
	}
	return CredentialOTP
}

// Credentials returns the user's confirmed factors as Keycloak lists
// credentials — an authenticator as type "otp", recovery codes as
// "recovery-authn-codes" — with the factor's id, label and creation time,
// never a secret. It implements users.FactorCredentials, so that the users
// service lists them beside the password. CodeNotFound for an unknown
// realm.
func (s *Service) Credentials(ctx context.Context, realm iam.Realm, userID string) ([]users.Credential, error) {
	factors, err := s.Factors(ctx, realm, userID)
	if err != nil {
		return nil, err
	}
	out := make([]users.Credential, 0, len(factors))
	for _, f := range factors {
		out = append(out, users.Credential{ID: f.ID, Type: credentialType(f.Type), UserLabel: f.Label, CreatedAt: f.CreatedAt})
	}
	return out, nil
}

// DeleteCredential removes the user's factor credID as Keycloak's
// credential delete does (see DeleteFactor). CodeNotFound when the user has
// no such factor.
func (s *Service) DeleteCredential(ctx context.Context, realm iam.Realm, userID, credID string) error {
	return s.DeleteFactor(ctx, realm, userID, credID)
}
