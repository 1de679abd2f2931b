package users

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users/password"
)

// LoginFailure is the cause of every failed Authenticate: callers see one
// error — CodeUnauthenticated with the message AuthFailedMessage — whatever
// the reason, and the reason is data of this typed error in its chain, for
// the auth service's failure events only:
//
//	switch users.LoginFailureReason(err) { case users.FailureDisabled: ... }
//
// errors.Is(err, users.ErrDisabled) works too: LoginFailures with the same
// Reason are equal.
type LoginFailure struct {
	Reason FailureReason
}

// FailureReason says why a password login failed. Its values are the wire
// values of user-service's internal API: append only.
type FailureReason string

// Reasons of a LoginFailure.
const (
	// FailureUnknownUser: no user has that username (or email).
	FailureUnknownUser FailureReason = "unknown_user"
	// FailureBadCredentials: the password is wrong, or the user has none.
	FailureBadCredentials FailureReason = "invalid_credentials"
	// FailureDisabled: the password is right but the user is disabled.
	FailureDisabled FailureReason = "user_disabled"
)

// Error names the reason (for logs; callers never see it).
func (e *LoginFailure) Error() string { return "users: login failed: " + string(e.Reason) }

// Is reports whether target is a LoginFailure with the same Reason.
func (e *LoginFailure) Is(target error) bool {
	t, ok := target.(*LoginFailure)
	return ok && t.Reason == e.Reason
}

// LoginFailureReason returns the Reason of the LoginFailure in err's chain,
// or "" if there is none.
func LoginFailureReason(err error) FailureReason {
	var f *LoginFailure
	if errors.As(err, &f) {
		return f.Reason
	}
	return ""
}

// One LoginFailure per reason, for errors.Is.
var (
	ErrUnknownUser    = &LoginFailure{Reason: FailureUnknownUser}
	ErrBadCredentials = &LoginFailure{Reason: FailureBadCredentials}
	ErrDisabled       = &LoginFailure{Reason: FailureDisabled}
)

// AuthFailedMessage is the message of every failed Authenticate.
const AuthFailedMessage = "invalid username or password"

func authFailed(reason error) error {
	return &iam.Error{Code: iam.CodeUnauthenticated, Message: AuthFailedMessage, Err: reason}
}

// Authenticate checks a password login: usernameOrEmail is a username, or
// the email of a user when the realm does not allow duplicate emails. It
// returns the user on success. An unknown user, a wrong password, a user
// without a password and a disabled user all give the same
// CodeUnauthenticated error with AuthFailedMessage; its cause
// (ErrUnknownUser, ErrBadCredentials, ErrDisabled) tells them apart for
// failure events. An unknown user costs the same as a known one: the
// password is verified against a dummy hash made with the realm's current
// parameters. After a successful login, a hash that is not argon2id or is
// below the realm's current parameters is replaced by a fresh argon2id hash
// (a failed replacement is logged, not returned). CodeNotFound if the realm
// does not exist; CodeUnavailable with a retry hint when password hashing is
// at its bound (WithHashLimit). Required actions are the caller's concern: they are in
// the returned user.
func (s *Service) Authenticate(ctx context.Context, realm iam.Realm, usernameOrEmail, pw string) (User, error) {
	const op = "users.Authenticate"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return User{}, iam.Wrap(op, err)
	}
	params := s.HashParams(r)
	u, err := s.lookup(ctx, realm, r, usernameOrEmail)
	switch {
	case errors.Is(err, iam.ErrNotFound):
		if err := s.verifyDummy(ctx, params, pw); err != nil {
			return User{}, iam.Wrap(op, err)
		}
		return User{}, iam.Wrap(op, authFailed(ErrUnknownUser))
	case err != nil:
		return User{}, iam.Wrap(op, err)
	}
	cred, err := s.store.GetPassword(ctx, realm, u.ID)
	switch {
	case errors.Is(err, iam.ErrNotFound):
		if err := s.verifyDummy(ctx, params, pw); err != nil {
			return User{}, iam.Wrap(op, err)
		}
		return User{}, iam.Wrap(op, authFailed(ErrBadCredentials))
	case err != nil:
		return User{}, iam.Wrap(op, err)
	}
	ok, err := s.verify(ctx, cred.Hash, pw)
	switch {
	case errors.Is(err, errUnusableHash):
		s.log.ErrorContext(ctx, "stored password hash is unusable", slog.String("realm", string(realm)),
			slog.String("user", u.ID), slog.String("error", err.Error()))
	case err != nil:
		return User{}, iam.Wrap(op, err)
	}
	if !ok {
		return User{}, iam.Wrap(op, authFailed(ErrBadCredentials))
	}
	if !u.Enabled {
		return User{}, iam.Wrap(op, authFailed(ErrDisabled))
	}
	if password.NeedsRehash(cred.Hash, params) {
		s.rehash(ctx, u, cred.Hash, pw, params)
	}
	return u, nil
}

// lookup finds the user by username, then (if the login looks like an
// email and emails are unique in the realm) by email.
func (s *Service) lookup(ctx context.Context, realm iam.Realm, r realms.Realm, login string) (User, error) {
	u, err := s.store.GetByUsername(ctx, realm, NormalizeUsername(login))
	if errors.Is(err, iam.ErrNotFound) && strings.Contains(login, "@") && !r.DuplicateEmailsAllowed {
		u, err = s.store.GetByEmail(ctx, realm, NormalizeEmail(login))
		if errors.Is(err, iam.ErrConflict) {
			err = iam.NotFoundf("user not found")
		}
	}
	return u, err
}

// verifyDummy verifies pw against a hash of a random password made with p,
// so that a login for an unknown user takes as long as a wrong password.
// It holds a hashing slot like any verification (and while it makes the
// dummy hash on first use), so unknown users cannot bypass the bound; its
// only error is the bound's CodeUnavailable.
func (s *Service) verifyDummy(ctx context.Context, p password.Params, pw string) error {
	release, err := s.hashSlot(ctx)
	if err != nil {
		return err
	}
	defer release()
	if h := s.dummyHash(p); h != "" {
		_, _ = s.hasher.Verify(h, pw)
	}
	return nil
}

// dummyHash returns the dummy hash for p, making it on first use. The caller
// holds a hashing slot.
func (s *Service) dummyHash(p password.Params) string {
	s.dummyMu.Lock()
	defer s.dummyMu.Unlock()
	if h, ok := s.dummies[p]; ok {
		return h
	}
	h, err := s.hasher.Hash(iamcrypto.RandomToken(24), p)
	if err != nil {
		s.log.Error("cannot make dummy password hash", slog.String("error", err.Error()))
		return ""
	}
	s.dummies[p] = h
	return h
}

// rehash replaces oldHash by an argon2id hash of pw under p, unless the
// password changed meanwhile.
func (s *Service) rehash(ctx context.Context, u User, oldHash, pw string, p password.Params) {
	h, err := s.hash(ctx, pw, p)
	if err == nil {
		err = s.store.RehashPassword(ctx, u.Realm, u.ID, oldHash, h)
	}
	if err != nil && !errors.Is(err, iam.ErrConflict) {
		s.log.WarnContext(ctx, "password rehash failed", slog.String("realm", string(u.Realm)),
			slog.String("user", u.ID), slog.String("error", err.Error()))
	}
}

// Find returns the user whose username — or, when the realm does not allow
// duplicate emails, email — is usernameOrEmail, the way Authenticate looks
// users up (CodeNotFound otherwise). The auth service uses it to count
// failed logins per user.
func (s *Service) Find(ctx context.Context, realm iam.Realm, usernameOrEmail string) (User, error) {
	const op = "users.Find"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return User{}, iam.Wrap(op, err)
	}
	u, err := s.lookup(ctx, realm, r, usernameOrEmail)
	if err != nil {
		return User{}, iam.Wrap(op, userNotFound(err))
	}
	return u, nil
}
