package auth

import (
	"context"
	"errors"
	"time"

	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Token type hints (RFC 7009, RFC 7662).
const (
	HintAccessToken  = "access_token"
	HintRefreshToken = "refresh_token"
)

// TokenRequestBase is what introspection, revocation and logout requests
// share: the realm, the calling client and the token.
type TokenRequestBase struct {
	Realm         iam.Realm
	Client        ClientCredentials
	Token         string
	TokenTypeHint string // "access_token", "refresh_token" or ""
}

// Introspection is the answer of the introspection endpoint. Inactive tokens
// carry nothing else.
type Introspection struct {
	Active bool
	// Claims of an active token: an access token's verified claims, or for a
	// refresh token iss, sub, exp, iat, typ "Refresh", azp, sid, scope and
	// realm.
	Claims *AccessClaims
}

// Introspect answers RFC 7662 introspection for a confidential client of
// realm. Any token that is malformed, unknown, expired, revoked, of another
// realm, or (for refresh tokens) issued to another client, is inactive.
// Errors: invalid_client when the caller fails authentication or is public;
// invalid_request without a token; dependency failures.
func (s *Service) Introspect(ctx context.Context, req TokenRequestBase) (*Introspection, error) {
	realm, err := s.enabledRealm(ctx, req.Realm)
	if err != nil {
		return nil, err
	}
	c, err := s.authenticateClient(ctx, realm.Name, req.Client)
	if err != nil {
		return nil, err
	}
	if c.PublicClient {
		return nil, oauthErr(ErrorInvalidClient, "Public clients may not introspect tokens")
	}
	if req.Token == "" {
		return nil, oauthErr(ErrorInvalidRequest, "Missing parameter: token")
	}
	if authjwt.LooksLikeJWS(req.Token) {
		claims, err := s.VerifyAccessToken(ctx, realm.Name, req.Token)
		if err != nil {
			if inactive(err) {
				return &Introspection{}, nil
			}
			return nil, err
		}
		if alive, err := s.sessionAlive(ctx, realm.Name, claims.SessionID); err != nil || !alive {
			return &Introspection{}, err
		}
		return &Introspection{Active: true, Claims: claims}, nil
	}
	rt, err := s.currentRefresh(ctx, realm, c, req.Token)
	if err != nil || rt == nil {
		return &Introspection{}, err
	}
	if alive, err := s.sessionAlive(ctx, realm.Name, rt.SessionID); err != nil || !alive {
		return &Introspection{}, err
	}
	return &Introspection{Active: true, Claims: &AccessClaims{
		ExpiresAt: rt.ExpiresAt.Unix(), IssuedAt: rt.IssuedAt.Unix(), Issuer: s.Issuer(realm.Name),
		Subject: rt.UserID, Type: TypeRefresh, AuthorizedParty: c.ClientID, SessionID: rt.SessionID,
		Scope: rt.Scope, Realm: string(realm.Name),
	}}, nil
}

// sessionAlive asks the session checker, if any, whether session sid is
// alive; tokens without a session (client credentials) are.
func (s *Service) sessionAlive(ctx context.Context, realm iam.Realm, sid string) (bool, error) {
	if s.sessions == nil || sid == "" {
		return true, nil
	}
	alive, err := s.sessions.Alive(ctx, realm, sid)
	return alive, iam.Wrap("auth.sessionAlive", err)
}

// inactive reports whether a VerifyAccessToken error means "not a valid
// token" (as opposed to a failing dependency).
func inactive(err error) bool {
	var oe *OAuthError
	return errors.As(err, &oe)
}

// currentRefresh returns the refresh token value if it is current and was
// issued to c, nil if not; errors only for failing dependencies.
func (s *Service) currentRefresh(ctx context.Context, realm realms.Realm, c clients.Client, value string) (*RefreshToken, error) {
	rt, err := s.tokens.GetRefresh(ctx, realm.Name, hashSecret(value))
	if errors.Is(err, iam.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, iam.Wrap("auth.currentRefresh", err)
	}
	now := s.now()
	if rt.Rotated || rt.Revoked || rt.ClientID != c.ID || !now.Before(rt.ExpiresAt) ||
		!now.Before(rt.SessionStarted.Add(sessionMax(realm))) {
		return nil, nil
	}
	return &rt, nil
}

// Revoke answers RFC 7009 revocation: a refresh token revokes its whole
// family and ends its session as Logout does (the session's refresh and
// access tokens are revoked, so the access tokens issued with it stop
// working, RFC 7009 §2.1's SHOULD, and auth.logout is published); an
// access token goes on the blacklist until it expires. Unknown,
// invalid or expired tokens are not an error (the client's goal is met).
// Errors: invalid_client; invalid_request without a token;
// unauthorized_client for a token issued to another client.
func (s *Service) Revoke(ctx context.Context, req TokenRequestBase) error {
	const op = "auth.Revoke"
	realm, err := s.enabledRealm(ctx, req.Realm)
	if err != nil {
		return err
	}
	c, err := s.authenticateClient(ctx, realm.Name, req.Client)
	if err != nil {
		return err
	}
	if req.Token == "" {
		return oauthErr(ErrorInvalidRequest, "Missing parameter: token")
	}
	if !authjwt.LooksLikeJWS(req.Token) {
		rt, err := s.tokens.GetRefresh(ctx, realm.Name, hashSecret(req.Token))
		if errors.Is(err, iam.ErrNotFound) {
			return nil
		}
		if err != nil {
			return iam.Wrap(op, err)
		}
		if rt.ClientID != c.ID {
			return oauthErr(ErrorUnauthorizedClient, "Token was issued to another client")
		}
		ttl := s.revocationTTL(realm)
		if err := s.tokens.RevokeFamily(ctx, realm.Name, rt.Family, ttl); err != nil {
			return iam.Wrap(op, err)
		}
		if rt.Revoked || !s.now().Before(rt.ExpiresAt) {
			return nil // already over: nothing more to end
		}
		// The access tokens issued with it go too (RFC 7009 §2.1): they
		// belong to its session, which ends as at logout.
		return iam.Wrap(op, s.endSession(ctx, realm.Name, rt.SessionID, rt.UserID, c.ClientID, ttl))
	}
	claims, err := s.VerifyAccessToken(ctx, realm.Name, req.Token)
	if err != nil {
		if inactive(err) {
			return nil
		}
		return err
	}
	if claims.AuthorizedParty != c.ClientID {
		return oauthErr(ErrorUnauthorizedClient, "Token was issued to another client")
	}
	ttl := time.Unix(claims.ExpiresAt, 0).Sub(s.now()) + time.Second
	return iam.Wrap(op, s.tokens.RevokeAccessToken(ctx, realm.Name, claims.ID, ttl))
}

// Logout ends the session of a refresh token (Keycloak's POST logout with
// refresh_token): every refresh token of the session is revoked, its access
// tokens stop introspecting as active, and auth.logout is published.
// Errors: invalid_client; invalid_request without a refresh token;
// invalid_grant for an unknown, revoked or expired token or one issued to
// another client.
func (s *Service) Logout(ctx context.Context, req TokenRequestBase) error {
	const op = "auth.Logout"
	realm, err := s.enabledRealm(ctx, req.Realm)
	if err != nil {
		return err
	}
	c, err := s.authenticateClient(ctx, realm.Name, req.Client)
	if err != nil {
		return err
	}
	if req.Token == "" {
		return oauthErr(ErrorInvalidRequest, "Missing parameter: refresh_token")
	}
	rt, err := s.tokens.GetRefresh(ctx, realm.Name, hashSecret(req.Token))
	if errors.Is(err, iam.ErrNotFound) {
		return oauthErr(ErrorInvalidGrant, msgInvalidRefreshToken)
	}
	if err != nil {
		return iam.Wrap(op, err)
	}
	if rt.ClientID != c.ID {
		return oauthErr(ErrorInvalidGrant, "Invalid refresh token. Token client and authorized client don't match")
	}
	if rt.Revoked || !s.now().Before(rt.ExpiresAt) {
		return oauthErr(ErrorInvalidGrant, msgInvalidRefreshToken)
	}
	return s.endSession(ctx, realm.Name, rt.SessionID, rt.UserID, c.ClientID, s.revocationTTL(realm))
}

// TerminateSession revokes every token of session sid (the session service
// ended it). It is idempotent. The auth.logout event is not published: the
// session service already knows.
func (s *Service) TerminateSession(ctx context.Context, realm iam.Realm, sid string) error {
	if sid == "" {
		return iam.Invalidf("sessionId", "session id is required")
	}
	ttl, err := s.realmRevocationTTL(ctx, realm)
	if err != nil {
		return err
	}
	return iam.Wrap("auth.TerminateSession", s.tokens.RevokeSession(ctx, realm, sid, ttl))
}

// RevokeUser revokes every session of user userID and forgets their failed
// logins (the user was deleted). It is idempotent.
func (s *Service) RevokeUser(ctx context.Context, realm iam.Realm, userID string) error {
	const op = "auth.RevokeUser"
	if userID == "" {
		return iam.Invalidf("userId", "user id is required")
	}
	ttl, err := s.realmRevocationTTL(ctx, realm)
	if err != nil {
		return err
	}
	if _, err := s.tokens.RevokeUserSessions(ctx, realm, userID, "", ttl); err != nil {
		return iam.Wrap(op, err)
	}
	return iam.Wrap(op, s.tokens.ClearLoginFailures(ctx, realm, userFailureKey(userID)))
}

// EndUserSessions revokes the refresh and access tokens of every session of
// user userID except session keep ("" ends all): the user's credentials
// changed, so whoever held the old ones must lose access. Idempotent.
func (s *Service) EndUserSessions(ctx context.Context, realm iam.Realm, userID, keep string) error {
	const op = "auth.EndUserSessions"
	if userID == "" {
		return iam.Invalidf("userId", "user id is required")
	}
	ttl, err := s.realmRevocationTTL(ctx, realm)
	if err != nil {
		return err
	}
	_, err = s.tokens.RevokeUserSessions(ctx, realm, userID, keep, ttl)
	return iam.Wrap(op, err)
}

// realmRevocationTTL is revocationTTL of realm, or the defaults' when the
// realm is gone (its tokens must still be revoked).
func (s *Service) realmRevocationTTL(ctx context.Context, realm iam.Realm) (time.Duration, error) {
	if err := realm.Validate(); err != nil {
		return 0, err
	}
	r, err := s.realms.Get(ctx, realm)
	if errors.Is(err, iam.ErrNotFound) {
		return defaultSSOSessionMax + s.maxToken, nil
	}
	if err != nil {
		return 0, iam.Wrap("auth.realmRevocationTTL", err)
	}
	return s.revocationTTL(r), nil
}
