package auth

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// The browser sign-in's steps, for the hosted pages (auth/authui): each
// step is one method with the same rules as the grants of the token
// endpoint — brute-force protection, second factors, required actions —
// and the same events.

// AccountConsole is the clientId the account pages sign in as: it names no
// client of the realm (nothing is issued to it), only the sign-in in
// events and in the session's clients.
const AccountConsole = "account-console"

// LoginFlowLifespan is how long a browser sign-in may take, from the
// authorization request to its last step (Keycloak's
// accessCodeLifespanLogin default).
const LoginFlowLifespan = 30 * time.Minute

// BrowserAttempt says where a step of a browser sign-in comes from: the
// client it is for (its public clientId, or AccountConsole) and the
// browser's address and user agent, for brute-force counters and events.
type BrowserAttempt struct {
	Realm     iam.Realm
	ClientID  string
	IP        string
	UserAgent string
}

func (b BrowserAttempt) attempt() attempt {
	return attempt{clientID: b.ClientID, grant: GrantAuthorizationCode, ip: b.IP, userAgent: b.UserAgent}
}

// CheckPassword is the password step of a browser sign-in: it returns the
// user whose username or email is login when password is theirs, under the
// realm's brute-force protection (failures counted per address and per
// user, as the password grant counts them). Every credential failure —
// unknown, disabled or locked user, wrong password, blocked address —
// publishes auth.login.failure (grantType authorization_code, the reason
// saying which) and is invalid_grant "Invalid user credentials". A missing
// login or password is CodeInvalid naming the field; an unknown or
// disabled realm as Authorize.
func (s *Service) CheckPassword(ctx context.Context, at BrowserAttempt, login, password string) (users.User, error) {
	realm, err := s.enabledRealm(ctx, at.Realm)
	if err != nil {
		return users.User{}, err
	}
	switch {
	case login == "":
		return users.User{}, iam.Invalidf("username", "Enter your username or email.")
	case password == "":
		return users.User{}, iam.Invalidf("password", "Enter your password.")
	}
	return s.checkPassword(ctx, realm, at.attempt(), login, password)
}

// SecondFactorStep is what the second-factor step of a browser sign-in
// offers a user.
type SecondFactorStep struct {
	// Required is true when the realm (mfaPolicy required) or the user (a
	// confirmed factor) requires a second factor.
	Required bool
	// TOTP is true when the user has a confirmed authenticator app, and
	// RecoveryCodes when unused recovery codes are left.
	TOTP          bool
	RecoveryCodes bool
	// Email is the masked verified address an email code can be sent to
	// ("" when the user has none).
	Email string
	// Enrol is true when a second factor is required but the user has no
	// way to give one (no authenticator, no verified email): the user must
	// set up an authenticator first (CONFIGURE_TOTP), which proves the
	// second factor.
	Enrol bool
}

// SecondFactorStep returns what the second-factor step offers u. Without
// an MFA service (WithSecondFactors), a realm whose mfaPolicy is required
// is CodeUnavailable: no one signs in there on a password alone.
func (s *Service) SecondFactorStep(ctx context.Context, realm iam.Realm, u users.User) (SecondFactorStep, error) {
	r, err := s.Realm(ctx, realm)
	if err != nil {
		return SecondFactorStep{}, err
	}
	factors, err := s.userFactors(ctx, realm, u)
	if err != nil {
		return SecondFactorStep{}, err
	}
	step := SecondFactorStep{Required: mfa.Required(r, factors)}
	if !step.Required {
		return step, nil
	}
	if s.factors == nil {
		return SecondFactorStep{}, iam.Errorf(iam.CodeUnavailable, "%s, and this server has no MFA service to check it", msgSecondFactorRequired)
	}
	step.TOTP = mfa.HasTOTP(factors)
	for _, f := range factors {
		if f.Type == mfa.TypeRecoveryCodes && f.RemainingCodes > 0 {
			step.RecoveryCodes = true
		}
	}
	if u.Email != "" && u.EmailVerified {
		step.Email = mfa.MaskEmail(u.Email)
	}
	step.Enrol = !step.TOTP && step.Email == ""
	return step, nil
}

// VerifySecondFactor checks code (an authenticator's, an emailed one or a
// recovery code) as the second factor of u's browser sign-in. A wrong,
// reused or expired code, or a user locked out of second factors,
// publishes auth.login.failure (invalid_second_factor or
// second_factor_locked) and is invalid_grant "Invalid one-time code"; an
// empty code is CodeInvalid (field "code").
func (s *Service) VerifySecondFactor(ctx context.Context, at BrowserAttempt, u users.User, code string) error {
	realm, err := s.enabledRealm(ctx, at.Realm)
	if err != nil {
		return err
	}
	if code == "" {
		return iam.Invalidf("code", "Enter the one-time code.")
	}
	if s.factors == nil {
		return iam.Errorf(iam.CodeUnavailable, "%s, and this server has no MFA service to check it", msgSecondFactorRequired)
	}
	return s.verifyCode(ctx, realm, at.attempt(), u, code)
}

// SendSecondFactorEmail emails u a one-time code for the second-factor
// step. CodeInvalid (field "email") when u has no verified email address;
// CodeRateLimited (with a retry hint) when too many codes were sent.
func (s *Service) SendSecondFactorEmail(ctx context.Context, realm iam.Realm, u users.User) error {
	if s.factors == nil {
		return iam.Errorf(iam.CodeUnavailable, "this server has no MFA service")
	}
	if u.Email == "" || !u.EmailVerified {
		return iam.Invalidf("email", "The account has no verified email address.")
	}
	return iam.Wrap("auth.SendSecondFactorEmail", s.factors.SendEmailOTP(ctx, realm, u.ID, u.Email))
}

// PendingActions returns the required actions u must complete before the
// sign-in ends, in the order the pages perform them (UPDATE_PASSWORD,
// CONFIGURE_TOTP, UPDATE_PROFILE, VERIFY_EMAIL, then any other).
// CONFIGURE_TOTP counts as done once u has a confirmed authenticator.
func (s *Service) PendingActions(ctx context.Context, realm iam.Realm, u users.User) ([]string, error) {
	factors, err := s.userFactors(ctx, realm, u)
	if err != nil {
		return nil, err
	}
	actions := slices.Clone(pendingActions(u, factors))
	order := []string{users.ActionUpdatePassword, users.ActionConfigureTOTP, users.ActionUpdateProfile, users.ActionVerifyEmail}
	rank := func(a string) int {
		if i := slices.Index(order, a); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(actions, func(a, b string) int { return rank(a) - rank(b) })
	return actions, nil
}

// SessionStart is a user who has just authenticated in a browser.
type SessionStart struct {
	Attempt    BrowserAttempt
	ClientUUID string // the client's id ("" for AccountConsole)
	User       users.User
	// AuthTime is when the user authenticated (zero: now).
	AuthTime time.Time
	// SecondFactor is true when the authentication used a second factor.
	SecondFactor bool
	// SessionID is the id a new session gets ("" for a random one): the
	// id the sign-in chose (auth.LoginFlow.SessionID). Unused when the
	// sign-in continues Continue.
	SessionID string
	// Continue is the browser's current SSO session, if any: when it is
	// the same user's, the new sign-in continues its session (same sid and
	// start, a new auth_time); a different user's is left alone (it ends
	// by itself or by logout).
	Continue *BrowserSession
}

// StartBrowserSession signs the browser into a session after an
// authentication: it stores the record behind a new SSO cookie (the
// returned value, 256 random bits, whose hash alone is stored) for the
// session's remaining max lifespan, and publishes auth.login.success once,
// with the client and the session id, from which the session service
// creates its session. A continued session's old record is deleted: its
// cookie is replaced.
func (s *Service) StartBrowserSession(ctx context.Context, in SessionStart) (BrowserSession, string, error) {
	const op = "auth.StartBrowserSession"
	realm, err := s.enabledRealm(ctx, in.Attempt.Realm)
	if err != nil {
		return BrowserSession{}, "", err
	}
	if in.User.ID == "" {
		return BrowserSession{}, "", iam.Invalidf("userId", "user id is required")
	}
	now := s.now()
	b := BrowserSession{Realm: realm.Name, SessionID: in.SessionID, UserID: in.User.ID, AuthTime: in.AuthTime,
		Started: now, SecondFactor: in.SecondFactor}
	if b.SessionID == "" {
		b.SessionID = iam.NewID()
	}
	if b.AuthTime.IsZero() {
		b.AuthTime = now
	}
	if c := in.Continue; c != nil && c.UserID == in.User.ID && c.Realm == realm.Name {
		b.SessionID, b.Started = c.SessionID, c.Started
		b.SecondFactor = b.SecondFactor || c.SecondFactor
	}
	b.ExpiresAt = b.Started.Add(sessionMax(realm))
	if !now.Before(b.ExpiresAt) {
		// The continued session reached its max lifespan: a new one.
		b.SessionID, b.Started, b.ExpiresAt = iam.NewID(), now, now.Add(sessionMax(realm))
	}
	value, hash := newSecret()
	b.Hash = hash
	b.CSRF, _ = newSecret()
	if err := s.tokens.SaveBrowserSession(ctx, b, b.ExpiresAt.Sub(now)); err != nil {
		return BrowserSession{}, "", iam.Wrap(op, err)
	}
	if c := in.Continue; c != nil && c.SessionID == b.SessionID {
		if err := s.tokens.DeleteBrowserSession(ctx, realm.Name, c.Hash); err != nil {
			return BrowserSession{}, "", iam.Wrap(op, err)
		}
	}
	if err := s.loginSucceeded(ctx, realm, in.Attempt, in.ClientUUID, in.User, b); err != nil {
		return BrowserSession{}, "", iam.Wrap(op, err)
	}
	return b, value, nil
}

// JoinBrowserSession records that client (clientUUID, and at.ClientID)
// signed in through the browser's SSO session b without asking the user for
// anything: it publishes auth.login.success for it, as Keycloak records a
// login of each client into a session, and the session service adds the
// client to the session.
func (s *Service) JoinBrowserSession(ctx context.Context, at BrowserAttempt, clientUUID string, b BrowserSession, u users.User) error {
	realm, err := s.enabledRealm(ctx, at.Realm)
	if err != nil {
		return err
	}
	return iam.Wrap("auth.JoinBrowserSession", s.loginSucceeded(ctx, realm, at, clientUUID, u, b))
}

// loginSucceeded publishes auth.login.success of session b.
func (s *Service) loginSucceeded(ctx context.Context, realm realms.Realm, at BrowserAttempt, clientUUID string, u users.User, b BrowserSession) error {
	return s.publish(ctx, iam.TopicLoginSuccess, realm.Name, u.ID, LoginSuccessEvent{
		UserID: u.ID, Username: u.Username, ClientID: at.ClientID, ClientUUID: clientUUID, SessionID: b.SessionID,
		GrantType: GrantAuthorizationCode, IPAddress: at.IP, UserAgent: at.UserAgent,
		SessionExpiresAt: b.ExpiresAt.Unix(),
	})
}

// errNoBrowserSession is the answer for a browser that is not signed in.
var errNoBrowserSession = iam.NotFoundf("no session")

// BrowserSession returns the SSO session behind cookie value: CodeNotFound
// when there is none — no such record, or its session was revoked or
// terminated, reached its max lifespan, ended idle (the session service's
// Touch, which also records this use), or its user was deleted or
// disabled. A dependency's failure passes through (the caller fails
// closed).
func (s *Service) BrowserSession(ctx context.Context, realm iam.Realm, cookie string) (BrowserSession, error) {
	const op = "auth.BrowserSession"
	if cookie == "" {
		return BrowserSession{}, errNoBrowserSession
	}
	if err := realm.Validate(); err != nil {
		return BrowserSession{}, err
	}
	b, err := s.tokens.GetBrowserSession(ctx, realm, hashSecret(cookie))
	if errors.Is(err, iam.ErrNotFound) {
		return BrowserSession{}, errNoBrowserSession
	}
	if err != nil {
		return BrowserSession{}, iam.Wrap(op, err)
	}
	dead := b.Revoked || !s.now().Before(b.ExpiresAt)
	if !dead && s.sessions != nil {
		alive, err := s.sessions.Touch(ctx, realm, b.SessionID)
		if err != nil {
			return BrowserSession{}, iam.Wrap(op, err)
		}
		dead = !alive
	}
	if !dead {
		if _, err := s.activeUser(ctx, realm, b.UserID); err != nil {
			if OAuthCode(err) != ErrorInvalidGrant {
				return BrowserSession{}, err
			}
			dead = true
		}
	}
	if dead {
		if err := s.tokens.DeleteBrowserSession(ctx, realm, b.Hash); err != nil {
			return BrowserSession{}, iam.Wrap(op, err)
		}
		return BrowserSession{}, errNoBrowserSession
	}
	return b, nil
}

// EndBrowserSession is a browser's logout: session b ends (every token of
// it is revoked, auth.logout is published with clientID, the client that
// asked, if any) and the record behind its cookie is deleted.
func (s *Service) EndBrowserSession(ctx context.Context, realm iam.Realm, b BrowserSession, clientID string) error {
	if err := s.EndSession(ctx, realm, b.SessionID, b.UserID, clientID); err != nil {
		return err
	}
	return iam.Wrap("auth.EndBrowserSession", s.tokens.DeleteBrowserSession(ctx, realm, b.Hash))
}

// EndSession ends session sid of user userID (a logout with an ID token
// as the hint, no cookie needed): its tokens are revoked and auth.logout is
// published with clientID, the client that asked. Idempotent.
func (s *Service) EndSession(ctx context.Context, realm iam.Realm, sid, userID, clientID string) error {
	if sid == "" {
		return iam.Invalidf("sessionId", "session id is required")
	}
	ttl, err := s.realmRevocationTTL(ctx, realm)
	if err != nil {
		return err
	}
	return s.endSession(ctx, realm, sid, userID, clientID, ttl)
}
