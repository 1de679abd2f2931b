package auth

import (
	"context"
	"errors"

	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/iam"
)

// IDTokenHint is what an id_token_hint says about the logout it asks for
// (OpenID Connect RP-Initiated Logout 1.0).
type IDTokenHint struct {
	Subject   string   // the user
	SessionID string   // sid: the session to end ("" if the token has none)
	ClientID  string   // azp: the client it was issued to
	Audience  []string // aud
}

// CheckIDTokenHint verifies an ID token sent back as a logout hint: signed
// by a key of realm (the policy's header and signature rules, as
// authjwt.Token.VerifySignature applies them), issued by the realm's issuer,
// of typ ID, with a subject. An expired token is accepted, as RP-Initiated
// Logout asks: the user may return long after the token's lifetime. Every
// refusal is invalid_request "Invalid id_token_hint"; CodeNotFound for an
// unknown realm; dependency failures pass through.
func (s *Service) CheckIDTokenHint(ctx context.Context, realm iam.Realm, raw string) (IDTokenHint, error) {
	const op = "auth.CheckIDTokenHint"
	r, err := s.Realm(ctx, realm)
	if err != nil {
		return IDTokenHint{}, err
	}
	invalid := oauthErr(ErrorInvalidRequest, "Invalid id_token_hint")
	tok, err := authjwt.Parse(raw)
	if err != nil {
		return IDTokenHint{}, invalid
	}
	keys := authjwt.KeyFunc(func(ctx context.Context, kid string) (authjwt.Key, bool, error) {
		k, err := s.keys.lookup(ctx, realm, signingAlg(r), kid)
		if err != nil || k == nil {
			return authjwt.Key{}, false, err
		}
		return k.verify, true, nil
	})
	if err := tok.VerifySignature(ctx, keys); err != nil {
		var re *authjwt.Error
		if errors.As(err, &re) {
			return IDTokenHint{}, invalid
		}
		return IDTokenHint{}, iam.Wrap(op, err)
	}
	c := tok.Claims
	if c.Type != TypeID || c.Issuer != s.Issuer(realm) || c.Subject == "" {
		return IDTokenHint{}, invalid
	}
	return IDTokenHint{Subject: c.Subject, SessionID: c.SessionID, ClientID: c.AuthorizedParty, Audience: c.Audience}, nil
}
