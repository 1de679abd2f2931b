package users

import (
	"context"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/realms"
)

// Paths of the public action endpoints the emailed links point to, under
// /realms/{realm}.
const (
	VerifyEmailPath = "/login-actions/verify-email"
	ResetPath       = "/login-actions/reset-credentials"
)

// invalidKey is the one error for a token that is unknown, used, expired,
// of the wrong kind or no longer matches its user.
func invalidKey() error { return iam.Invalidf("key", "the link is invalid or has expired") }

// TokenHash returns the stored form of an action token: hex SHA-256.
func TokenHash(token string) string { return hex.EncodeToString(iamcrypto.SHA256(token)) }

// SendVerifyEmail emails the user a link that verifies their address: it
// stores a single-use token valid for lifespan (0: the verify-email default,
// at most MaxActionLifespan) and emits user.verify_email_requested carrying
// the link. CodeInvalid if the user has no email or is disabled,
// CodeNotFound for a missing realm or user, CodeForbidden for a caller with
// less administrative power than the user (see power.go).
func (s *Service) SendVerifyEmail(ctx context.Context, realm iam.Realm, id string, lifespan time.Duration) error {
	const op = "users.SendVerifyEmail"
	u, ttl, err := s.mailable(ctx, realm, id, lifespan, s.verifyTTL)
	if err != nil {
		return iam.Wrap(op, err)
	}
	return iam.Wrap(op, s.issue(ctx, u, TokenVerifyEmail, ttl, nil))
}

// ExecuteActionsEmail adds actions to the user's required actions (emitting
// user.updated) and emails the user what to do: with UPDATE_PASSWORD a
// password-reset link (user.password_reset_requested), with VERIFY_EMAIL a
// verification link (user.verify_email_requested); other actions are
// performed at the next login. Links are valid for lifespan (0: the
// admin-action default). Errors as SendVerifyEmail, and CodeInvalid for an
// empty or unknown action.
func (s *Service) ExecuteActionsEmail(ctx context.Context, realm iam.Realm, id string, actions []string, lifespan time.Duration) error {
	const op = "users.ExecuteActionsEmail"
	actions, err := normalizeActions(actions)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if len(actions) == 0 {
		return iam.Wrap(op, iam.Invalidf("actions", "at least one required action is needed"))
	}
	u, ttl, err := s.mailable(ctx, realm, id, lifespan, s.adminTTL)
	if err != nil {
		return iam.Wrap(op, err)
	}
	all := u.RequiredActions
	for _, a := range actions {
		all = withAction(all, a)
	}
	r, err := s.realm(ctx, realm)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if u, err = s.update(ctx, realm, r, id, Patch{RequiredActions: &all}); err != nil {
		return iam.Wrap(op, err)
	}
	if slices.Contains(actions, ActionUpdatePassword) {
		if err := s.issue(ctx, u, TokenResetCredentials, ttl, actions); err != nil {
			return iam.Wrap(op, err)
		}
	}
	if slices.Contains(actions, ActionVerifyEmail) {
		if err := s.issue(ctx, u, TokenVerifyEmail, ttl, actions); err != nil {
			return iam.Wrap(op, err)
		}
	}
	return nil
}

// mailable loads a user who can receive an action email and resolves the
// lifespan.
func (s *Service) mailable(ctx context.Context, realm iam.Realm, id string, lifespan, def time.Duration) (User, time.Duration, error) {
	switch {
	case lifespan < 0 || lifespan > MaxActionLifespan:
		return User{}, 0, iam.Invalidf("lifespan", "lifespan must be between 0 and %d seconds", int(MaxActionLifespan.Seconds()))
	case lifespan == 0:
		lifespan = def
	}
	if _, err := s.realm(ctx, realm); err != nil {
		return User{}, 0, err
	}
	u, err := s.store.Get(ctx, realm, id)
	if err != nil {
		return User{}, 0, userNotFound(err)
	}
	if err := s.mayChange(ctx, realm, u.ID); err != nil {
		return User{}, 0, err
	}
	if u.Email == "" {
		return User{}, 0, iam.Invalidf("email", "user has no email address")
	}
	if !u.Enabled {
		return User{}, 0, iam.Invalidf("enabled", "user is disabled")
	}
	return u, lifespan, nil
}

// issue stores a new token for u and emits the event carrying its link,
// sealed (CodeInternal, and no token stored, without a link sealer).
func (s *Service) issue(ctx context.Context, u User, action string, ttl time.Duration, actions []string) error {
	raw := iamcrypto.RandomToken(32)
	now := s.now().UTC()
	t := ActionToken{Realm: u.Realm, Hash: TokenHash(raw), UserID: u.ID, Action: action, Email: u.Email,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
	path, topic := VerifyEmailPath, iam.TopicUserVerifyEmailRequested
	if action == TokenResetCredentials {
		path, topic = ResetPath, iam.TopicUserPasswordResetRequested
	}
	link := s.publicURL + "/realms/" + url.PathEscape(string(u.Realm)) + path + "?key=" + url.QueryEscape(raw)
	evs, err := events(func() (iam.Event, error) { return ActionRequestedEvent(topic, u, link, t.ExpiresAt, actions, s.links) })
	if err != nil {
		return err
	}
	return userNotFound(s.store.CreateToken(ctx, t, evs...))
}

// token returns the live token key of action in realm, deleting it if it
// has expired. Every failure is invalidKey.
func (s *Service) token(ctx context.Context, realm iam.Realm, key, action string) (ActionToken, error) {
	if key == "" || len(key) > 512 {
		return ActionToken{}, invalidKey()
	}
	t, err := s.store.GetToken(ctx, realm, TokenHash(key))
	switch {
	case errors.Is(err, iam.ErrNotFound):
		return ActionToken{}, invalidKey()
	case err != nil:
		return ActionToken{}, err
	}
	if t.Action != action {
		return ActionToken{}, invalidKey()
	}
	if !s.now().Before(t.ExpiresAt) {
		_, _ = s.store.ConsumeToken(ctx, realm, t.Hash)
		return ActionToken{}, invalidKey()
	}
	return t, nil
}

// VerifyEmail redeems a verify-email token: the user's email becomes
// verified (if it is still the address the link was sent to), VERIFY_EMAIL
// is cleared, and user.email_verified and user.updated are emitted. The
// token works once. CodeInvalid (field "key") for an unknown, used or
// expired token.
func (s *Service) VerifyEmail(ctx context.Context, realm iam.Realm, key string) (User, error) {
	const op = "users.VerifyEmail"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return User{}, iam.Wrap(op, err)
	}
	t, err := s.token(ctx, realm, key, TokenVerifyEmail)
	if err != nil {
		return User{}, iam.Wrap(op, err)
	}
	if _, err := s.store.ConsumeToken(ctx, realm, t.Hash); err != nil {
		return User{}, iam.Wrap(op, invalidKey())
	}
	opts := UpdateOptions{UniqueEmail: !r.DuplicateEmailsAllowed}
	u, err := s.store.Update(ctx, realm, t.UserID, opts, func(u *User) ([]iam.Event, error) {
		if u.Email != t.Email {
			return nil, invalidKey()
		}
		u.EmailVerified = true
		u.RequiredActions = withoutAction(u.RequiredActions, ActionVerifyEmail)
		u.UpdatedAt = s.now().UTC()
		return events(
			func() (iam.Event, error) { return EmailVerifiedEvent(*u) },
			func() (iam.Event, error) { return UpdatedEvent(*u) })
	})
	if errors.Is(err, iam.ErrNotFound) {
		return User{}, iam.Wrap(op, invalidKey())
	}
	if err != nil {
		return User{}, iam.Wrap(op, err)
	}
	return u, nil
}

// RequestPasswordReset starts a forgotten-password reset for the user with
// that username or email, in the same work whether or not the user exists:
// it checks the realm, counts the request against the reset limits
// (WithResetLimits: per login, and per caller address when ctx carries one,
// iam.ClientIP) and hands the rest to the reset runner (WithResetRunner;
// by default the background), which looks the user up and, if an enabled
// user with an email exists, stores a reset token (replacing the user's
// earlier one) and emits user.password_reset_requested with the link. So
// it answers nil, in the same time, whether or not the user exists.
// Errors: CodeNotFound for a missing realm, CodeRateLimited with a retry
// hint beyond a limit, the limiter's CodeUnavailable, CodeInternal without
// a link sealer. Failures of the background work are logged, never
// returned.
func (s *Service) RequestPasswordReset(ctx context.Context, realm iam.Realm, usernameOrEmail string) error {
	const op = "users.RequestPasswordReset"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if strings.TrimSpace(usernameOrEmail) == "" {
		return nil
	}
	if s.links == nil { // no link could be sent to anyone: say so now
		return &iam.Error{Code: iam.CodeInternal, Op: op,
			Message: "action links cannot be sent: no link sealer (users.WithLinkSealer)"}
	}
	if err := s.limitReset(ctx, realm, usernameOrEmail); err != nil {
		return iam.Wrap(op, err)
	}
	detached := context.WithoutCancel(ctx) // the work outlives the request
	s.resetRun(func() {
		ctx, cancel := context.WithTimeout(detached, resetWorkTimeout)
		defer cancel()
		if err := s.startReset(ctx, realm, r, usernameOrEmail); err != nil {
			s.log.WarnContext(ctx, "password reset request failed", "realm", string(realm), "error", err.Error())
		}
	})
	return nil
}

// startReset looks up the user with login in realm (whose settings are r)
// and, if it can receive a reset link, issues one.
func (s *Service) startReset(ctx context.Context, realm iam.Realm, r realms.Realm, login string) error {
	u, err := s.lookup(ctx, realm, r, login)
	switch {
	case errors.Is(err, iam.ErrNotFound):
		return nil
	case err != nil:
		return err
	}
	if u.Email == "" || !u.Enabled {
		return nil
	}
	return s.issue(ctx, u, TokenResetCredentials, s.resetTTL, nil)
}

// ResetPassword completes a reset with the emailed token: newPassword must
// satisfy the realm's policy (CodeInvalid naming every violated rule; the
// token stays usable), then the token is used up, the password replaced,
// UPDATE_PASSWORD cleared and every session of the user ended
// (user.credentials_changed). CodeInvalid (field "key") for an unknown, used or
// expired token or a disabled user.
func (s *Service) ResetPassword(ctx context.Context, realm iam.Realm, key, newPassword string) error {
	const op = "users.ResetPassword"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return iam.Wrap(op, err)
	}
	t, err := s.token(ctx, realm, key, TokenResetCredentials)
	if err != nil {
		return iam.Wrap(op, err)
	}
	u, err := s.store.Get(ctx, realm, t.UserID)
	if err != nil || !u.Enabled {
		return iam.Wrap(op, invalidKey())
	}
	change, err := s.newPassword(ctx, r, u, newPassword)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if _, err := s.store.ConsumeToken(ctx, realm, t.Hash); err != nil {
		return iam.Wrap(op, invalidKey())
	}
	return iam.Wrap(op, s.storePassword(ctx, u, change, withoutAction(u.RequiredActions, ActionUpdatePassword), CredentialsReset))
}
