package auth

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// maxIssuedAtSkew is how far in the future an iat may lie (clock skew
// between replicas).
const maxIssuedAtSkew = time.Minute

// VerifyAccessToken returns the claims of raw if it is a current access token
// of realm: signed by one of the realm's published keys (chosen by kid, with
// the header's alg equal to that key's algorithm — "none", HMAC and other
// algorithms are refused), issued by the realm's issuer, of typ Bearer, not
// expired, and neither revoked itself nor of a revoked session. Every
// rejection is an invalid_token error that says no more than needed;
// CodeNotFound for an unknown realm, dependency failures pass through.
func (s *Service) VerifyAccessToken(ctx context.Context, realm iam.Realm, raw string) (*AccessClaims, error) {
	const op = "auth.VerifyAccessToken"
	r, err := s.Realm(ctx, realm)
	if err != nil {
		return nil, err
	}
	jws, err := parseJWS(raw)
	if err != nil {
		return nil, err
	}
	if jws.header.Kid == "" {
		return nil, oauthErr(ErrorInvalidToken, "Token has no key id")
	}
	key, err := s.keys.lookup(ctx, realm, signingAlg(r), jws.header.Kid)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	if key == nil || jws.header.Alg != key.Algorithm ||
		!verifySignature(key.Algorithm, key.public, jws.input, jws.sig) {
		return nil, oauthErr(ErrorInvalidToken, "Invalid token signature")
	}
	var c AccessClaims
	if err := json.Unmarshal(jws.payload, &c); err != nil {
		return nil, errMalformedToken()
	}
	now := s.now()
	switch {
	case c.Issuer != s.Issuer(realm) || c.Realm != string(realm):
		return nil, oauthErr(ErrorInvalidToken, "Invalid token issuer")
	case c.Type != TypeBearer:
		return nil, oauthErr(ErrorInvalidToken, "Token is not an access token")
	case c.ExpiresAt <= now.Unix():
		return nil, oauthErr(ErrorInvalidToken, "Token is expired")
	case c.IssuedAt > now.Add(maxIssuedAtSkew).Unix():
		return nil, oauthErr(ErrorInvalidToken, "Token is not valid yet")
	case c.ID == "" || c.Subject == "":
		return nil, errMalformedToken()
	}
	revoked, err := s.tokens.AccessTokenRevoked(ctx, realm, c.ID, c.SessionID, time.Unix(c.IssuedAt, 0))
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	if revoked {
		return nil, oauthErr(ErrorInvalidToken, "Token has been revoked")
	}
	return &c, nil
}

// looksLikeJWT reports whether token has the shape of a compact JWS; refresh
// tokens never do.
func looksLikeJWT(token string) bool { return strings.Count(token, ".") == 2 }

// UserInfo returns the claims of the user an access token was issued to, by
// the token's scope (profile, email); it requires the openid scope. sub
// equals the ID token's. For a service-account token it returns sub and
// preferred_username. Errors: invalid_token (see VerifyAccessToken, also for
// a deleted or disabled user), insufficient_scope without openid.
func (s *Service) UserInfo(ctx context.Context, realm iam.Realm, accessToken string) (*UserInfo, error) {
	c, err := s.VerifyAccessToken(ctx, realm, accessToken)
	if err != nil {
		return nil, err
	}
	g := scopeOf(parseScope(c.Scope))
	if !g.openid {
		return nil, oauthErr(ErrorInsufficientScope, "Missing openid scope")
	}
	if c.ClientID != "" {
		return &UserInfo{Subject: c.Subject, PreferredUsername: c.PreferredUsername}, nil
	}
	u, err := s.users.Get(ctx, realm, c.Subject)
	if err != nil {
		if perr := passDependencyError("auth.UserInfo", err); perr != nil {
			return nil, perr
		}
		return nil, oauthErr(ErrorInvalidToken, "User not found")
	}
	if !u.Enabled {
		return nil, oauthErr(ErrorInvalidToken, "User disabled")
	}
	info := &UserInfo{Subject: u.ID}
	info.PreferredUsername, info.Name, info.GivenName, info.FamilyName, info.Email, info.EmailVerified = userClaims(u, g)
	return info, nil
}
