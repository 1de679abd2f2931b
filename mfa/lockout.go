package mfa

import (
	"context"
	"errors"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Second-factor verification is protected by the realm's brute-force
// settings with Keycloak's semantics, as auth protects passwords: every
// failed Verify is counted (the count restarts when the previous failure is
// older than ResetAfter, maxDeltaTimeSeconds); after n failures the user
// must wait WaitIncrement × ⌊n / FailureFactor⌋, at most MaxWait, from the
// last failure, and every Verify meanwhile fails with ReasonLocked without
// being counted. Unlike passwords, this applies whether or not the realm
// turned bruteForceProtected on: a six-digit code without an attempt limit
// falls to a scripted guesser within hours.

// Reasons a Verify fails, carried by its *Failure.
const (
	// ReasonInvalidCode: no factor of the user accepts the code.
	ReasonInvalidCode = "invalid_code"
	// ReasonCodeReused: a TOTP code whose step was used before (a replay,
	// or an older code after a newer one).
	ReasonCodeReused = "code_reused"
	// ReasonLocked: too many failures; the user must wait.
	ReasonLocked = "temporarily_locked"
	// ReasonNoFactor: the user has no confirmed factor and no pending
	// email code.
	ReasonNoFactor = "no_factor"
	// ReasonTooManyAttempts: the email code took its last attempt and is
	// void; a new one must be sent.
	ReasonTooManyAttempts = "too_many_attempts"
)

// Failure is the cause of a failed Verify: the *iam.Error it returns is
// CodeUnauthenticated with one message whatever the reason, and its cause
// is a *Failure naming the reason, for events and for the caller's answer.
//
//	var f *mfa.Failure
//	if errors.As(err, &f) && f.Reason == mfa.ReasonLocked { ... }
type Failure struct {
	Reason string
}

// Error returns the reason.
func (f *Failure) Error() string { return "mfa: " + f.Reason }

// FailedMessage is the message of every failed Verify.
const FailedMessage = "invalid one-time code"

// FailureReason returns the reason of a failed Verify, or "" when err has
// no *Failure.
func FailureReason(err error) string {
	var f *Failure
	if errors.As(err, &f) {
		return f.Reason
	}
	return ""
}

// NewFailure returns the error of a failed Verify for reason (remote
// clients rebuild it from the reason the internal API sends).
func NewFailure(reason string) error {
	return &iam.Error{Code: iam.CodeUnauthenticated, Message: FailedMessage, Err: &Failure{Reason: reason}}
}

// bruteForce returns the realm's settings with Keycloak's defaults for
// unset values.
func bruteForce(r realms.Realm) realms.BruteForce {
	bf := r.BruteForce
	if bf.FailureFactor <= 0 {
		bf.FailureFactor = realms.DefaultFailureFactor
	}
	if bf.WaitIncrement <= 0 {
		bf.WaitIncrement = realms.DefaultWaitIncrement
	}
	if bf.MaxWait <= 0 {
		bf.MaxWait = realms.DefaultMaxWait
	}
	if bf.ResetAfter <= 0 {
		bf.ResetAfter = realms.DefaultResetAfter
	}
	return bf
}

// lockedUntil is when a user with failures may try again (zero when the
// count alone does not lock).
func lockedUntil(bf realms.BruteForce, f Failures) time.Time {
	if f.Count < bf.FailureFactor {
		return time.Time{}
	}
	wait := min(bf.WaitIncrement*time.Duration(f.Count/bf.FailureFactor), bf.MaxWait)
	return f.Last.Add(wait)
}

// locked reports whether the user is locked out of verification now, and
// their failures.
func (s *Service) locked(ctx context.Context, r realms.Realm, userID string) (bool, Failures, error) {
	f, err := s.state.Failures(ctx, r.Name, userID)
	if err != nil {
		return false, f, err
	}
	return s.now().Before(lockedUntil(bruteForce(r), f)), f, nil
}

// fail counts a failed verification and returns the error for reason.
func (s *Service) fail(ctx context.Context, r realms.Realm, userID, reason string) error {
	bf := bruteForce(r)
	if _, err := s.state.RecordFailure(ctx, r.Name, userID, s.now(), bf.ResetAfter, bf.ResetAfter+bf.MaxWait); err != nil {
		return err
	}
	return NewFailure(reason)
}

// SecondFactorStatus is a user's lockout state.
type SecondFactorStatus struct {
	NumFailures int
	Locked      bool
	LastFailure time.Time // zero if none
}

// Status returns the user's failed-verification count and whether it locks
// them out now. CodeNotFound for an unknown realm.
func (s *Service) Status(ctx context.Context, realm iam.Realm, userID string) (SecondFactorStatus, error) {
	const op = "mfa.Status"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return SecondFactorStatus{}, iam.Wrap(op, err)
	}
	if err := checkUser(userID); err != nil {
		return SecondFactorStatus{}, iam.Wrap(op, err)
	}
	f, err := s.state.Failures(ctx, realm, userID)
	if err != nil {
		return SecondFactorStatus{}, iam.Wrap(op, err)
	}
	return SecondFactorStatus{NumFailures: f.Count, Locked: s.now().Before(lockedUntil(bruteForce(r), f)), LastFailure: f.Last}, nil
}

// ClearFailures forgets the user's failed verifications, which ends a
// lockout (an administrator's action). CodeNotFound for an unknown realm.
func (s *Service) ClearFailures(ctx context.Context, realm iam.Realm, userID string) error {
	const op = "mfa.ClearFailures"
	if _, err := s.realm(ctx, realm); err != nil {
		return iam.Wrap(op, err)
	}
	if err := checkUser(userID); err != nil {
		return iam.Wrap(op, err)
	}
	return iam.Wrap(op, s.state.ClearFailures(ctx, realm, userID))
}
