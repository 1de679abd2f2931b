package auth

import (
	"context"
	"errors"
	"time"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// refresh runs the refresh_token grant. Refresh tokens are bound to the
// client and session they were issued to and rotate on every use: the
// presented token is exchanged atomically for a new one of the same family.
// Presenting a token that was already exchanged means it leaked (RFC 9700
// §4.14.2): its whole family and its session are revoked.
func (s *Service) refresh(ctx context.Context, realm realms.Realm, c clients.Client, req TokenRequest) (*Tokens, error) {
	const op = "auth.refresh"
	if req.RefreshToken == "" {
		return nil, oauthErr(ErrorInvalidRequest, "Missing parameter: refresh_token")
	}
	hash := hashSecret(req.RefreshToken)
	old, err := s.tokens.GetRefresh(ctx, realm.Name, hash)
	if err != nil {
		if errors.Is(err, iam.ErrNotFound) {
			return nil, oauthErr(ErrorInvalidGrant, msgInvalidRefreshToken)
		}
		return nil, iam.Wrap(op, err)
	}
	if old.ClientID != c.ID {
		return nil, oauthErr(ErrorInvalidGrant, "Invalid refresh token. Token client and authorized client don't match")
	}
	if old.Revoked {
		return nil, oauthErr(ErrorInvalidGrant, msgInvalidRefreshToken)
	}
	if old.Rotated {
		return nil, s.refreshReused(ctx, realm, old)
	}
	now := s.now()
	if !now.Before(old.ExpiresAt) {
		return nil, oauthErr(ErrorInvalidGrant, msgInvalidRefreshToken)
	}
	if !now.Before(old.SessionStarted.Add(sessionMax(realm))) {
		return nil, oauthErr(ErrorInvalidGrant, "Session not active")
	}
	if s.sessions != nil {
		alive, err := s.sessions.Touch(ctx, realm.Name, old.SessionID)
		if err != nil {
			return nil, iam.Wrap(op, err)
		}
		if !alive {
			return nil, oauthErr(ErrorInvalidGrant, "Session not active")
		}
	}
	u, err := s.activeUser(ctx, realm.Name, old.UserID)
	if err != nil {
		return nil, err
	}
	scope, err := narrowScope(old.Scope, req.Scope)
	if err != nil {
		return nil, err
	}
	t, m, err := s.mintWith(ctx, mintParams{realm: realm, client: c, user: &u, scope: scope,
		sessionID: old.SessionID, sessionStarted: old.SessionStarted, authTime: old.AuthTime,
		nonce: old.Nonce, refresh: true})
	if err != nil {
		return nil, err
	}
	next := old
	next.Hash, next.IssuedAt, next.ExpiresAt = m.refreshHash, now, m.refreshExp
	next.Rotated, next.Revoked = false, false
	prev, err := s.tokens.RotateRefresh(ctx, realm.Name, hash, next, m.refreshExp.Sub(now))
	switch {
	case errors.Is(err, iam.ErrNotFound):
		return nil, oauthErr(ErrorInvalidGrant, msgInvalidRefreshToken)
	case err != nil:
		return nil, iam.Wrap(op, err)
	case prev.Rotated: // a concurrent use of the same token won
		return nil, s.refreshReused(ctx, realm, prev)
	case prev.Revoked:
		return nil, oauthErr(ErrorInvalidGrant, msgInvalidRefreshToken)
	}
	return t, nil
}

// activeUser returns the user id of realm if it exists and is enabled, or
// invalid_grant.
func (s *Service) activeUser(ctx context.Context, realm iam.Realm, id string) (users.User, error) {
	u, err := s.users.Get(ctx, realm, id)
	if err != nil {
		if perr := passDependencyError("auth.activeUser", err); perr != nil {
			return users.User{}, perr
		}
		return users.User{}, oauthErr(ErrorInvalidGrant, "User not found")
	}
	if !u.Enabled {
		return users.User{}, oauthErr(ErrorInvalidGrant, "User disabled")
	}
	return u, nil
}

// refreshReused revokes the family and session of a reused refresh token,
// publishes auth.logout for the session and returns invalid_grant.
func (s *Service) refreshReused(ctx context.Context, realm realms.Realm, rt RefreshToken) error {
	const op = "auth.refreshReused"
	ttl := s.revocationTTL(realm)
	if err := s.tokens.RevokeFamily(ctx, realm.Name, rt.Family, ttl); err != nil {
		return iam.Wrap(op, err)
	}
	if err := s.endSession(ctx, realm.Name, rt.SessionID, rt.UserID, "", ttl); err != nil {
		return err
	}
	return oauthErr(ErrorInvalidGrant, "Refresh token reused; the session has been revoked")
}

// revocationTTL is how long a revocation must be remembered: past the end of
// every refresh token (session max) and access token (max token lifespan).
func (s *Service) revocationTTL(realm realms.Realm) time.Duration {
	return sessionMax(realm) + s.maxToken
}

// endSession revokes session sid and publishes auth.logout.
func (s *Service) endSession(ctx context.Context, realm iam.Realm, sid, userID, clientID string, ttl time.Duration) error {
	const op = "auth.endSession"
	if sid == "" {
		return nil
	}
	if err := s.tokens.RevokeSession(ctx, realm, sid, ttl); err != nil {
		return iam.Wrap(op, err)
	}
	return iam.Wrap(op, s.publish(ctx, iam.TopicLogout, realm, userID,
		LogoutEvent{UserID: userID, SessionID: sid, ClientID: clientID}))
}
