package users

import (
	"context"
	"errors"
	"fmt"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// SetPassword sets the password of user id (the admin API's
// reset-password): it must satisfy the realm's policy, including its history
// rule; temporary requires the user to change it at next login
// (UPDATE_PASSWORD), otherwise that required action is cleared. Emits
// user.updated and user.credentials_changed (every session of the user
// ends). Errors: CodeNotFound (realm, user), CodeInvalid (field
// "password", every violated rule named), CodeForbidden for a caller with
// less administrative power than the user (see power.go).
func (s *Service) SetPassword(ctx context.Context, realm iam.Realm, id, pw string, temporary bool) error {
	const op = "users.SetPassword"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return iam.Wrap(op, err)
	}
	u, err := s.store.Get(ctx, realm, id)
	if err != nil {
		return iam.Wrap(op, userNotFound(err))
	}
	if err := s.mayChange(ctx, realm, u.ID); err != nil {
		return iam.Wrap(op, err)
	}
	actions := withoutAction(u.RequiredActions, ActionUpdatePassword)
	if temporary {
		actions = withAction(u.RequiredActions, ActionUpdatePassword)
	}
	return iam.Wrap(op, s.replacePassword(ctx, r, u, pw, actions, CredentialsSetByAdmin))
}

// PasswordGuard is brute-force protection for the current-password check
// of ChangePassword (the account API): auth.Lockout implements it with the
// counters and realm settings of the token endpoint, so guessing a
// password there counts like failed logins.
type PasswordGuard interface {
	// Locked reports whether checks for userID, or from ip ("" for none),
	// are locked out now.
	Locked(ctx context.Context, realm iam.Realm, userID, ip string) (bool, error)
	// Failed counts a wrong password for userID from ip.
	Failed(ctx context.Context, realm iam.Realm, userID, ip string) error
	// Succeeded forgets userID's failures.
	Succeeded(ctx context.Context, realm iam.Realm, userID string) error
}

// WithPasswordGuard counts ChangePassword's current-password checks with g
// (from the caller's address in ctx, iam.ClientIP): while the user or the
// address is locked out, every check fails as a wrong password does (and
// is not counted), a wrong password is counted, a right one clears the
// user's count. Without it, the current password can be guessed as fast
// as the account API answers.
func WithPasswordGuard(g PasswordGuard) Option { return func(s *Service) { s.guard = g } }

// ChangePassword is a user's own password change: current must be the
// user's password (CodeInvalid, field "currentPassword", otherwise — also
// while brute-force protection locks the user or the caller's address out,
// see WithPasswordGuard), and the new one must satisfy the policy. It
// clears UPDATE_PASSWORD and emits user.updated and
// user.credentials_changed: every other session of the user ends; the
// caller's own session (iam.PrincipalFrom(ctx), when the caller is the
// user) stays.
func (s *Service) ChangePassword(ctx context.Context, realm iam.Realm, id, current, pw string) error {
	const op = "users.ChangePassword"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return iam.Wrap(op, err)
	}
	u, err := s.store.Get(ctx, realm, id)
	if err != nil {
		return iam.Wrap(op, userNotFound(err))
	}
	wrong := iam.Invalidf("currentPassword", "current password is incorrect")
	ip := iam.ClientIP(ctx)
	if s.guard != nil {
		locked, err := s.guard.Locked(ctx, realm, u.ID, ip)
		if err != nil {
			return iam.Wrap(op, err)
		}
		if locked { // as a wrong password, and not counted (Keycloak)
			return iam.Wrap(op, wrong)
		}
	}
	cred, err := s.store.GetPassword(ctx, realm, id)
	var ok bool
	switch {
	case errors.Is(err, iam.ErrNotFound):
	case err != nil:
		return iam.Wrap(op, err)
	default:
		ok, err = s.verify(ctx, cred.Hash, current)
		if err != nil && !errors.Is(err, errUnusableHash) {
			return iam.Wrap(op, err)
		}
	}
	if !ok {
		if s.guard != nil {
			if err := s.guard.Failed(ctx, realm, u.ID, ip); err != nil {
				return iam.Wrap(op, err)
			}
		}
		return iam.Wrap(op, wrong)
	}
	if s.guard != nil {
		if err := s.guard.Succeeded(ctx, realm, u.ID); err != nil {
			return iam.Wrap(op, err)
		}
	}
	return iam.Wrap(op, s.replacePassword(ctx, r, u, pw, withoutAction(u.RequiredActions, ActionUpdatePassword), CredentialsChanged))
}

// replacePassword checks pw against r's policy and history, hashes it and
// stores it with the user's new required actions, for reason.
func (s *Service) replacePassword(ctx context.Context, r realms.Realm, u User, pw string, actions []string, reason string) error {
	change, err := s.newPassword(ctx, r, u, pw)
	if err != nil {
		return err
	}
	return s.storePassword(ctx, u, change, actions, reason)
}

// newPassword checks pw against r's policy, including its history rule,
// and hashes it, naming every violated rule.
func (s *Service) newPassword(ctx context.Context, r realms.Realm, u User, pw string) (PasswordChange, error) {
	broken := policyViolations(r.PasswordPolicy, u, pw)
	n := r.PasswordPolicy.PasswordHistory
	if n > 0 {
		reused, err := s.reused(ctx, u, pw, n)
		if err != nil {
			return PasswordChange{}, err
		}
		if reused {
			broken = append(broken, fmt.Sprintf("not one of the last %d passwords", n))
		}
	}
	if err := policyError(broken); err != nil {
		return PasswordChange{}, err
	}
	hash, err := s.hash(ctx, pw, s.HashParams(r))
	if err != nil {
		return PasswordChange{}, err
	}
	return PasswordChange{
		Credential:  Credential{ID: iam.NewID(), Type: CredentialPassword, CreatedAt: s.now().UTC(), Hash: hash},
		KeepHistory: max(n-1, 0),
	}, nil
}

// storePassword stores a prepared password change together with the user's
// new required actions, emitting user.updated and user.credentials_changed
// for reason.
func (s *Service) storePassword(ctx context.Context, u User, change PasswordChange, actions []string, reason string) error {
	u.RequiredActions = actions
	u.UpdatedAt = s.now().UTC()
	evs, err := events(
		func() (iam.Event, error) { return UpdatedEvent(u) },
		func() (iam.Event, error) { return CredentialsChangedEvent(u, reason, callerSession(ctx, u)) })
	if err != nil {
		return err
	}
	change.SetRequiredActions = true
	change.RequiredActions = actions
	return userNotFound(s.store.SetPassword(ctx, u.Realm, u.ID, change, evs...))
}

// reused reports whether pw matches the user's current password or one of
// the n-1 before it (Keycloak's passwordHistory(n) semantics).
func (s *Service) reused(ctx context.Context, u User, pw string, n int) (bool, error) {
	var hashes []string
	cur, err := s.store.GetPassword(ctx, u.Realm, u.ID)
	switch {
	case err == nil:
		hashes = append(hashes, cur.Hash)
	case !errors.Is(err, iam.ErrNotFound):
		return false, err
	}
	if n > 1 {
		old, err := s.store.PasswordHistory(ctx, u.Realm, u.ID, n-1)
		if err != nil {
			return false, err
		}
		hashes = append(hashes, old...)
	}
	for _, h := range hashes {
		ok, err := s.verify(ctx, h, pw)
		if err != nil && !errors.Is(err, errUnusableHash) {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// Credentials lists the user's credentials without their secrets (Hash is
// always empty): the password, then, with WithFactorCredentials, the
// second factors (an authenticator as type "otp"). CodeNotFound for a
// missing realm or user.
func (s *Service) Credentials(ctx context.Context, realm iam.Realm, id string) ([]Credential, error) {
	const op = "users.Credentials"
	if _, err := s.realm(ctx, realm); err != nil {
		return nil, iam.Wrap(op, err)
	}
	if _, err := s.store.Get(ctx, realm, id); err != nil {
		return nil, iam.Wrap(op, userNotFound(err))
	}
	out := []Credential{}
	c, err := s.store.GetPassword(ctx, realm, id)
	switch {
	case errors.Is(err, iam.ErrNotFound):
	case err != nil:
		return nil, iam.Wrap(op, err)
	default:
		c.Hash = ""
		out = append(out, c)
	}
	if s.factors != nil {
		factors, err := s.factors.Credentials(ctx, realm, id)
		if err != nil {
			return nil, iam.Wrap(op, err)
		}
		out = append(out, factors...)
	}
	return out, nil
}

// DeleteCredential removes the user's credential credID. Removing the
// password emits user.updated and user.credentials_changed (the user's
// sessions end but the caller's own, when the caller is the user); any
// other id is a second factor, removed through WithFactorCredentials's
// service. CodeNotFound if the realm, user or credential does not exist,
// CodeForbidden for a caller with less administrative power than the user
// (see power.go).
func (s *Service) DeleteCredential(ctx context.Context, realm iam.Realm, id, credID string) error {
	const op = "users.DeleteCredential"
	if _, err := s.realm(ctx, realm); err != nil {
		return iam.Wrap(op, err)
	}
	u, err := s.store.Get(ctx, realm, id)
	if err != nil {
		return iam.Wrap(op, userNotFound(err))
	}
	if err := s.mayChange(ctx, realm, u.ID); err != nil {
		return iam.Wrap(op, err)
	}
	if handled, err := s.deleteFactorCredential(ctx, realm, id, credID); handled {
		return iam.Wrap(op, err)
	}
	evs, err := events(
		func() (iam.Event, error) { return UpdatedEvent(u) },
		func() (iam.Event, error) {
			return CredentialsChangedEvent(u, CredentialsRemoved, callerSession(ctx, u))
		})
	if err != nil {
		return iam.Wrap(op, err)
	}
	err = s.store.DeletePassword(ctx, realm, id, credID, evs...)
	if errors.Is(err, iam.ErrNotFound) {
		err = &iam.Error{Code: iam.CodeNotFound, Message: "credential not found", Err: err}
	}
	return iam.Wrap(op, err)
}

// callerSession is the session the request in ctx was made from when its
// caller is user u themself, else "": a user who changes their own
// credentials keeps the session they did it from.
func callerSession(ctx context.Context, u User) string {
	p := iam.PrincipalFrom(ctx)
	if p == nil || p.Realm != u.Realm || p.Subject != u.ID {
		return ""
	}
	return p.SessionID
}
