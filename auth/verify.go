package auth

import (
	"context"
	"errors"

	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/iam"
)

// VerifyAccessToken returns the claims of raw if it is a current access
// token of realm under authjwt's policy (the one authverify applies): signed
// by one of the realm's published keys, issued by the realm's issuer to the
// realm's current id, of typ Bearer, not expired, and neither revoked itself
// nor of a revoked session. Every rejection is an invalid_token error whose
// description says no more than needed; CodeNotFound for an unknown realm,
// dependency failures pass through.
func (s *Service) VerifyAccessToken(ctx context.Context, realm iam.Realm, raw string) (*AccessClaims, error) {
	const op = "auth.VerifyAccessToken"
	r, err := s.Realm(ctx, realm)
	if err != nil {
		return nil, err
	}
	keys := authjwt.KeyFunc(func(ctx context.Context, kid string) (authjwt.Key, bool, error) {
		k, err := s.keys.lookup(ctx, realm, signingAlg(r), kid)
		if err != nil || k == nil {
			return authjwt.Key{}, false, err
		}
		return k.verify, true, nil
	})
	want := authjwt.Expect{
		Issuer: s.Issuer(realm), Realm: realm, RealmID: r.ID, Now: s.now(),
		Revoked: s.revoked,
	}
	var c *AccessClaims
	if s.verified != nil {
		c, err = s.verified.Verify(ctx, raw, func(context.Context, string, *authjwt.AccessClaims) (authjwt.Keys, authjwt.Expect, error) {
			return keys, want, nil
		})
	} else {
		var tok *authjwt.Token
		if tok, err = authjwt.Parse(raw); err == nil {
			c, err = tok.Verify(ctx, keys, want)
		}
	}
	if err != nil {
		return nil, iam.Wrap(op, refusal(err))
	}
	return c, nil
}

// refusal turns an authjwt refusal into an invalid_token error with its
// caller-safe description; other errors pass.
func refusal(err error) error {
	var re *authjwt.Error
	if errors.As(err, &re) {
		return oauthErr(ErrorInvalidToken, "%s", re.Message())
	}
	return err
}

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
	var info *UserInfo
	if c.ClientID != "" {
		info = &UserInfo{Subject: c.Subject, PreferredUsername: c.PreferredUsername}
	} else {
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
		info = &UserInfo{Subject: u.ID}
		info.PreferredUsername, info.Name, info.GivenName, info.FamilyName, info.Email, info.EmailVerified = userClaims(u, g)
	}
	if err := s.userInfoMappers(ctx, realm, c, info); err != nil {
		return nil, err
	}
	return info, nil
}

// userInfoMappers adds to info the userinfo claims of the protocol mappers
// of the client the token was issued to (azp). A client deleted since adds
// nothing. Without WithGroups there is no mapper to apply and the client is
// not read.
func (s *Service) userInfoMappers(ctx context.Context, realm iam.Realm, c *AccessClaims, info *UserInfo) error {
	if s.groups == nil || c.AuthorizedParty == "" {
		return nil
	}
	client, err := s.clients.GetByClientID(ctx, realm, c.AuthorizedParty)
	if err != nil {
		return passDependencyError("auth.UserInfo", err)
	}
	mapped, err := s.mapClaims(ctx, realm, client, c.Subject)
	if err != nil {
		return iam.Wrap("auth.UserInfo", err)
	}
	info.Other = mapped.userinfo
	return nil
}
