package mfa

import (
	"context"
	"crypto/subtle"
	"errors"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Methods: what accepted a code in Verify.
const (
	MethodTOTP         = "totp"
	MethodEmail        = "email"
	MethodRecoveryCode = "recovery-code"
)

// maxCodeLength bounds what Verify looks at.
const maxCodeLength = 64

// Verify checks code as the user's second factor and returns the method
// that accepted it: a current code of one of the user's confirmed
// authenticators (within the realm's window, each step once: a code that
// was used, or an older one after it, is refused as ReasonCodeReused), the
// user's pending email code (at most the configured attempts, then void),
// or an unused recovery code (used up by this call). Spaces and dashes in
// code are ignored.
//
// Every failure is CodeUnauthenticated with FailedMessage and a *Failure
// cause (FailureReason). Failures count towards the realm's brute-force
// lockout (see lockout.go), during which every Verify fails with
// ReasonLocked uncounted; a success clears the count. A user with no factor
// and no pending email code fails with ReasonNoFactor, uncounted. Other
// errors: CodeNotFound for an unknown realm, CodeInvalid for an empty code
// or malformed user id, CodeUnavailable when a store is down.
func (s *Service) Verify(ctx context.Context, realm iam.Realm, userID, code string) (string, error) {
	const op = "mfa.Verify"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return "", iam.Wrap(op, err)
	}
	if err := checkUser(userID); err != nil {
		return "", iam.Wrap(op, err)
	}
	code = normalizeCode(code)
	if code == "" {
		return "", iam.Wrap(op, iam.Invalidf("code", "a one-time code is required"))
	}
	locked, failures, err := s.locked(ctx, r, userID)
	if err != nil {
		return "", iam.Wrap(op, err)
	}
	if locked {
		return "", iam.Wrap(op, NewFailure(ReasonLocked))
	}
	method, reason, err := s.check(ctx, r, userID, code)
	switch {
	case err != nil:
		return "", iam.Wrap(op, err)
	case reason == ReasonNoFactor:
		return "", iam.Wrap(op, NewFailure(reason))
	case reason != "":
		return "", iam.Wrap(op, s.fail(ctx, r, userID, reason))
	}
	if failures.Count > 0 {
		if err := s.state.ClearFailures(ctx, realm, userID); err != nil {
			return "", iam.Wrap(op, err)
		}
	}
	return method, nil
}

// check tries code against the user's factors and pending email code and
// returns the method that accepted it, or the reason none did.
func (s *Service) check(ctx context.Context, r realms.Realm, userID, code string) (method, reason string, err error) {
	if len(code) > maxCodeLength {
		return "", ReasonInvalidCode, nil
	}
	factors, err := s.confirmed(ctx, r.Name, userID)
	if err != nil {
		return "", "", err
	}
	var recovery *Factor
	for i, f := range factors {
		switch f.Type {
		case TypeTOTP:
			ok, err := s.checkTOTP(ctx, r, f, code)
			switch {
			case errors.Is(err, errReplay):
				return "", ReasonCodeReused, nil
			case err != nil || ok:
				return MethodTOTP, "", err
			}
		case TypeRecoveryCodes:
			recovery = &factors[i]
		}
	}
	if isDigits(code) {
		reason, err := s.checkEmail(ctx, r.Name, userID, code)
		switch {
		case err != nil:
			return "", "", err
		case reason == "":
			return MethodEmail, "", nil
		case reason != ReasonNoFactor:
			return "", reason, nil
		}
	}
	if recovery != nil && len(code) == recoveryCodeLength {
		ok, err := s.useRecoveryCode(ctx, *recovery, code)
		if err != nil || ok {
			return MethodRecoveryCode, "", err
		}
	}
	if len(factors) == 0 {
		return "", ReasonNoFactor, nil
	}
	return "", ReasonInvalidCode, nil
}

// errReplay is checkTOTP's answer for a code whose step was used.
var errReplay = errors.New("mfa: TOTP step used before")

// checkTOTP reports whether code is f's within the realm's window and its
// step was not used before (which it records). A used step is errReplay.
func (s *Service) checkTOTP(ctx context.Context, r realms.Realm, f Factor, code string) (bool, error) {
	if !isDigits(code) {
		return false, nil
	}
	st, err := matchTOTP(f, code, s.now(), r.OTP.LookAheadWindow)
	if err != nil || st < 0 {
		return false, err
	}
	fresh, err := s.state.UseStep(ctx, r.Name, f.ID, st, replayTTL(f, r.OTP.LookAheadWindow))
	if err != nil {
		return false, err
	}
	if !fresh {
		return false, errReplay
	}
	return true, nil
}

// checkEmail tries code against the user's pending email code: "" when it
// matches (the challenge is consumed), ReasonNoFactor when there is none,
// else the failure's reason (the last attempt voids the challenge).
func (s *Service) checkEmail(ctx context.Context, realm iam.Realm, userID, code string) (string, error) {
	c, err := s.state.AttemptChallenge(ctx, realm, userID)
	switch {
	case iam.ErrorCode(err) == iam.CodeNotFound:
		return ReasonNoFactor, nil
	case err != nil:
		return "", err
	}
	if !s.now().Before(c.ExpiresAt) {
		_, err := s.state.DeleteChallenge(ctx, realm, userID, c.ID)
		return ReasonNoFactor, err
	}
	if c.Attempts > s.email.attempts {
		_, err := s.state.DeleteChallenge(ctx, realm, userID, c.ID)
		return ReasonTooManyAttempts, err
	}
	if subtle.ConstantTimeCompare(ChallengeHash(c.ID, code), c.Hash) == 1 {
		// Of concurrent uses of one code, one deletes it and succeeds.
		ok, err := s.state.DeleteChallenge(ctx, realm, userID, c.ID)
		if err != nil || ok {
			return "", err
		}
		return ReasonInvalidCode, nil
	}
	if c.Attempts >= s.email.attempts {
		_, err := s.state.DeleteChallenge(ctx, realm, userID, c.ID)
		return ReasonTooManyAttempts, err
	}
	return ReasonInvalidCode, nil
}
