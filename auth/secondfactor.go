package auth

import (
	"context"
	"fmt"
	"slices"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// SecondFactors is the MFA service as the password grant needs it: the
// user's confirmed factors, the check of a code, and an email code for
// users without an authenticator. *mfa.Service and mfahttp.Client
// implement it, with mfa.Service's contracts (a failed Verify carries an
// *mfa.Failure). It is optional (WithSecondFactors).
type SecondFactors interface {
	Factors(ctx context.Context, realm iam.Realm, userID string) ([]mfa.PublicFactor, error)
	Verify(ctx context.Context, realm iam.Realm, userID, code string) (string, error)
	SendEmailOTP(ctx context.Context, realm iam.Realm, userID, email string) error
}

// WithSecondFactors makes the password grant ask f for a second factor
// when the realm (mfaPolicy required) or the user (a confirmed factor)
// requires one. Without it, no user has a factor as far as auth knows, and
// a realm whose mfaPolicy is required refuses every password grant rather
// than issue tokens on a password alone.
func WithSecondFactors(f SecondFactors) Option { return func(s *Service) { s.factors = f } }

// Reasons of auth.login.failure events of the second factor.
const (
	// ReasonSecondFactorRequired: the password was right, but a second
	// factor is required and none was sent (or the user has none, or
	// this server has no MFA service).
	ReasonSecondFactorRequired = "second_factor_required"
	// ReasonInvalidSecondFactor: the one-time code was wrong, used before
	// or expired.
	ReasonInvalidSecondFactor = "invalid_second_factor"
	// ReasonSecondFactorLocked: too many wrong codes; the user must wait.
	ReasonSecondFactorLocked = "second_factor_locked"
)

// msgSecondFactorRequired starts every description of a missing second
// factor.
const msgSecondFactorRequired = "A second factor is required"

// userFactors returns u's confirmed factors (none without WithSecondFactors).
func (s *Service) userFactors(ctx context.Context, realm iam.Realm, u users.User) ([]mfa.PublicFactor, error) {
	if s.factors == nil {
		return nil, nil
	}
	f, err := s.factors.Factors(ctx, realm, u.ID)
	if err != nil {
		return nil, iam.Wrap("auth.userFactors", err)
	}
	return f, nil
}

// pendingActions are u's required actions the password grant must refuse
// for: CONFIGURE_TOTP is done once the user has a confirmed authenticator.
func pendingActions(u users.User, factors []mfa.PublicFactor) []string {
	if mfa.HasTOTP(factors) {
		return slices.DeleteFunc(slices.Clone(u.RequiredActions), func(a string) bool { return a == users.ActionConfigureTOTP })
	}
	return u.RequiredActions
}

// secondFactor checks the second factor of a password grant whose password
// was right (Keycloak's direct grant: the code in the otp or totp
// parameter). It returns nil when none is required or the code is right,
// else the invalid_grant to answer — after sending an email code to a user
// without an authenticator but with a verified address — or a dependency's
// failure.
func (s *Service) secondFactor(ctx context.Context, realm realms.Realm, at attempt, code string,
	u users.User, factors []mfa.PublicFactor) error {
	if !mfa.Required(realm, factors) {
		return nil
	}
	fail := func(reason, format string, args ...any) error {
		return s.loginFailed(ctx, realm, at, u.ID, reason, fmt.Sprintf(format, args...))
	}
	if s.factors == nil {
		return fail(ReasonSecondFactorRequired, "%s, and this server has no MFA service to check it", msgSecondFactorRequired)
	}
	if code == "" {
		return s.askForSecondFactor(ctx, realm, u, factors, fail)
	}
	return s.verifyCode(ctx, realm, at, u, code)
}

// verifyCode checks code as u's second factor: nil when it is right, else
// the invalid_grant to answer (after publishing auth.login.failure) or a
// dependency's failure. s.factors must be set.
func (s *Service) verifyCode(ctx context.Context, realm realms.Realm, at attempt, u users.User, code string) error {
	fail := func(reason string) error {
		return s.loginFailed(ctx, realm, at, u.ID, reason, "Invalid one-time code")
	}
	_, err := s.factors.Verify(ctx, realm.Name, u.ID, code)
	switch reason := mfa.FailureReason(err); {
	case err == nil:
		return nil
	case reason == mfa.ReasonLocked:
		return fail(ReasonSecondFactorLocked)
	case reason != "" || iam.ErrorCode(err) == iam.CodeInvalid:
		return fail(ReasonInvalidSecondFactor)
	}
	return iam.Wrap("auth.verifyCode", err)
}

// askForSecondFactor answers a password grant that sent no code: it says
// which code is expected, sending one by email first to a user whose only
// way is a verified email address.
func (s *Service) askForSecondFactor(ctx context.Context, realm realms.Realm, u users.User, factors []mfa.PublicFactor,
	fail func(reason, format string, args ...any) error) error {
	switch {
	case mfa.HasTOTP(factors):
		return fail(ReasonSecondFactorRequired, "%s: send the code of your authenticator app as the otp (or totp) parameter", msgSecondFactorRequired)
	case u.Email == "" || !u.EmailVerified:
		return fail(ReasonSecondFactorRequired, "%s, and the account has none: set up an authenticator app, or verify the email address", msgSecondFactorRequired)
	}
	err := s.factors.SendEmailOTP(ctx, realm.Name, u.ID, u.Email)
	switch iam.ErrorCode(err) {
	case "":
		return fail(ReasonSecondFactorRequired, "%s: a one-time code was sent to %s; send it as the otp (or totp) parameter",
			msgSecondFactorRequired, mfa.MaskEmail(u.Email))
	case iam.CodeRateLimited:
		return fail(ReasonSecondFactorRequired, "%s: send the one-time code sent to %s as the otp (or totp) parameter (too many codes were sent to send another now)",
			msgSecondFactorRequired, mfa.MaskEmail(u.Email))
	}
	return iam.Wrap("auth.askForSecondFactor", err)
}
