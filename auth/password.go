package auth

import (
	"context"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// password runs the resource-owner password grant (clients with direct
// access grants only). Every credential failure — unknown user, wrong
// password, disabled user, locked user or address — answers invalid_grant
// "Invalid user credentials"; the event says which. When the realm or the
// user requires a second factor (see secondFactor), no token is issued
// without a right code in the otp (or totp) parameter; a user with
// required actions left (CONFIGURE_TOTP counts as done once an
// authenticator is confirmed) gets "Account is not fully set up".
func (s *Service) password(ctx context.Context, realm realms.Realm, c clients.Client, req TokenRequest) (*Tokens, error) {
	if !c.DirectAccessGrantsEnabled {
		return nil, oauthErr(ErrorUnauthorizedClient, "Client not allowed for direct access grants")
	}
	if req.Username == "" {
		return nil, oauthErr(ErrorInvalidRequest, "Missing parameter: username")
	}
	if req.Password == "" {
		return nil, oauthErr(ErrorInvalidRequest, "Missing parameter: password")
	}
	scope, err := negotiateScope(c, req.Scope)
	if err != nil {
		return nil, err
	}
	at := attempt{clientID: c.ClientID, grant: req.GrantType, ip: req.IP, userAgent: req.UserAgent}
	u, err := s.checkPassword(ctx, realm, at, req.Username, req.Password)
	if err != nil {
		return nil, err
	}
	factors, err := s.userFactors(ctx, realm.Name, u)
	if err != nil {
		return nil, err
	}
	if len(pendingActions(u, factors)) > 0 {
		return nil, s.loginFailed(ctx, realm, at, u.ID, ReasonRequiredActions, "Account is not fully set up")
	}
	if err := s.secondFactor(ctx, realm, at, req.TOTP, u, factors); err != nil {
		return nil, err
	}
	return s.login(ctx, realm, c, u, scope, GrantPassword, "", req)
}

// attempt is what a login attempt's events say about it besides the user:
// the client (public clientId), the grant (GrantAuthorizationCode for the
// browser sign-in) and where it came from.
type attempt struct {
	clientID, grant, ip, userAgent string
}

// checkPassword authenticates usernameOrEmail with password under the
// realm's brute-force protection, counting failures per address and per
// user. Every credential failure — unknown user, wrong password, disabled
// user, locked user or address — publishes auth.login.failure (the reason
// says which) and answers invalid_grant "Invalid user credentials".
func (s *Service) checkPassword(ctx context.Context, realm realms.Realm, at attempt, login, password string) (users.User, error) {
	const op = "auth.checkPassword"
	bf := bruteForce(realm)
	protect := realm.BruteForce.Enabled
	fail := func(userID, reason string) error {
		return s.loginFailed(ctx, realm, at, userID, reason, msgInvalidUserCredentials)
	}
	if protect && at.ip != "" {
		locked, _, err := s.isLocked(ctx, realm, ipFailureKey(at.ip), bf.FailureFactor*s.ipFactor)
		if err != nil {
			return users.User{}, err
		}
		if locked {
			return users.User{}, fail("", ReasonIPTemporarilyBlocked)
		}
	}
	u, err := s.users.Authenticate(ctx, realm.Name, login, password)
	if err != nil {
		if perr := passDependencyError(op, err); perr != nil {
			return users.User{}, perr
		}
		userID := s.findUserID(ctx, realm.Name, login)
		if protect {
			if at.ip != "" {
				if err := s.recordFailure(ctx, realm, ipFailureKey(at.ip), at.ip); err != nil {
					return users.User{}, err
				}
			}
			if userID != "" {
				// Attempts on a locked account are not counted (Keycloak).
				locked, _, err := s.isLocked(ctx, realm, userFailureKey(userID), bf.FailureFactor)
				if err != nil {
					return users.User{}, err
				}
				if locked {
					return users.User{}, fail(userID, ReasonUserTemporarilyDisabled)
				}
				if err := s.recordFailure(ctx, realm, userFailureKey(userID), at.ip); err != nil {
					return users.User{}, err
				}
			}
		}
		return users.User{}, fail(userID, failureReason(err))
	}
	if protect {
		locked, lf, err := s.isLocked(ctx, realm, userFailureKey(u.ID), bf.FailureFactor)
		if err != nil {
			return users.User{}, err
		}
		if locked {
			return users.User{}, fail(u.ID, ReasonUserTemporarilyDisabled)
		}
		if lf.NumFailures > 0 {
			if err := s.tokens.ClearLoginFailures(ctx, realm.Name, userFailureKey(u.ID)); err != nil {
				return users.User{}, iam.Wrap(op, err)
			}
		}
	}
	return u, nil
}

// loginFailed logs the failure (INFO, see logLoginFailure), counts it by
// reason, publishes auth.login.failure and returns invalid_grant with
// description (or the publishing error).
func (s *Service) loginFailed(ctx context.Context, realm realms.Realm, at attempt,
	userID, reason, description string) error {
	s.logLoginFailure(ctx, string(realm.Name), at, userID, reason)
	s.metrics.LoginFailure(reason)
	if err := s.publish(ctx, iam.TopicLoginFailure, realm.Name, userID, LoginFailureEvent{
		UserID: userID, ClientID: at.clientID, Reason: reason, GrantType: at.grant,
		IPAddress: at.ip, UserAgent: at.userAgent,
	}); err != nil {
		return iam.Wrap("auth.loginFailed", err)
	}
	return oauthErr(ErrorInvalidGrant, "%s", description)
}

// findUserID returns the id of the user a failed login named, if the user
// service can tell (UserFinder) and the user exists; else "".
func (s *Service) findUserID(ctx context.Context, realm iam.Realm, login string) string {
	if s.finder == nil {
		return ""
	}
	u, err := s.finder.Find(ctx, realm, login)
	if err != nil {
		return ""
	}
	return u.ID
}

// login starts a session for u: it issues tokens with a refresh token of a
// new family, stores the refresh token and publishes auth.login.success.
func (s *Service) login(ctx context.Context, realm realms.Realm, c clients.Client, u users.User,
	scope grantedScope, grant, nonce string, req TokenRequest) (*Tokens, error) {
	const op = "auth.login"
	now := s.now()
	sid := iam.NewID()
	t, m, err := s.mintWith(ctx, mintParams{realm: realm, client: c, user: &u, scope: scope,
		sessionID: sid, sessionStarted: now, authTime: now, nonce: nonce, refresh: true})
	if err != nil {
		return nil, err
	}
	rt := RefreshToken{Hash: m.refreshHash, Realm: realm.Name, Family: iam.NewID(), ClientID: c.ID,
		UserID: u.ID, SessionID: sid, Scope: scope.claim, Nonce: nonce, AuthTime: now,
		SessionStarted: now, IssuedAt: now, ExpiresAt: m.refreshExp}
	if err := s.tokens.SaveRefresh(ctx, rt, m.refreshExp.Sub(now)); err != nil {
		return nil, iam.Wrap(op, err)
	}
	if err := s.publish(ctx, iam.TopicLoginSuccess, realm.Name, u.ID, LoginSuccessEvent{
		UserID: u.ID, Username: u.Username, ClientID: c.ClientID, ClientUUID: c.ID, SessionID: sid, GrantType: grant,
		IPAddress: req.IP, UserAgent: req.UserAgent, SessionExpiresAt: now.Add(sessionMax(realm)).Unix(),
	}); err != nil {
		return nil, iam.Wrap(op, err)
	}
	return t, nil
}
