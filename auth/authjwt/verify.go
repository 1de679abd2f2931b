package authjwt

import (
	"context"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Leeway is how far in the future iat and nbf may lie: the clock skew
// tolerated between the issuer's replicas and a verifier. exp has none.
const Leeway = 30 * time.Second

// Keys finds a verification key of one realm by kid. Key reports found
// false for a kid the realm does not publish; err only for a failing
// dependency. An implementation may reload its keys on an unknown kid.
type Keys interface {
	Key(ctx context.Context, kid string) (key Key, found bool, err error)
}

// KeyFunc adapts a function to Keys.
type KeyFunc func(ctx context.Context, kid string) (Key, bool, error)

// Key calls f.
func (f KeyFunc) Key(ctx context.Context, kid string) (Key, bool, error) { return f(ctx, kid) }

// Expect is what a verifier requires of a token beyond its form and
// signature.
type Expect struct {
	Issuer  string    // the realm's issuer: {issuerBase}/realms/{realm}
	Realm   iam.Realm // the realm's name (the realm claim)
	RealmID string    // the realm's current immutable id; "" refuses every token
	// Audience, if set, must be one of the token's audiences.
	Audience string
	Now      time.Time
	// Revoked, if set, reports whether access token jti, or its session
	// sid ("" for tokens without one), was revoked, or the token was issued
	// (issuedAt, its iat) before the realm's revocation state began. An
	// error fails the verification with that error (fail closed).
	Revoked func(ctx context.Context, realm iam.Realm, jti, sid string, issuedAt time.Time) (bool, error)
}

// Verify applies the policy (see the package documentation) to t and
// returns its claims. A refusal is an *Error; errors of keys and
// want.Revoked are returned as they are.
func (t *Token) Verify(ctx context.Context, keys Keys, want Expect) (*AccessClaims, error) {
	c, _, err := t.verify(ctx, keys, want)
	return c, err
}

// verify is Verify that also returns the key the signature verified with.
func (t *Token) verify(ctx context.Context, keys Keys, want Expect) (*AccessClaims, Key, error) {
	key, err := t.verifySignature(ctx, keys)
	if err != nil {
		return nil, Key{}, err
	}
	c := &t.Claims
	if err := c.check(want); err != nil {
		return nil, Key{}, err
	}
	if err := c.revoked(ctx, want); err != nil {
		return nil, Key{}, err
	}
	out := *c
	return &out, key, nil
}

// revoked applies want.Revoked, if any, to c: a refusal when c was revoked,
// Revoked's error as it is.
func (c *AccessClaims) revoked(ctx context.Context, want Expect) error {
	if want.Revoked == nil {
		return nil
	}
	revoked, err := want.Revoked(ctx, want.Realm, c.ID, c.SessionID, time.Unix(c.IssuedAt, 0))
	if err != nil {
		return err
	}
	if revoked {
		return refuse(ReasonRevoked)
	}
	return nil
}

// VerifySignature applies the header and signature half of the policy: a
// kid naming a key of keys, the header's alg that key's, an acceptable
// header typ, and a valid signature. It checks no claim: Verify does, for
// access tokens; callers verifying another kind of token (an ID token sent
// back as a logout hint) check its claims themselves. A refusal is an
// *Error; errors of keys are returned as they are.
func (t *Token) VerifySignature(ctx context.Context, keys Keys) error {
	_, err := t.verifySignature(ctx, keys)
	return err
}

// verifySignature is VerifySignature that also returns the key.
func (t *Token) verifySignature(ctx context.Context, keys Keys) (Key, error) {
	if t.Header.Kid == "" {
		return Key{}, refuse(ReasonNoKeyID)
	}
	key, found, err := keys.Key(ctx, t.Header.Kid)
	if err != nil {
		return Key{}, err
	}
	switch {
	case !found:
		return Key{}, refuse(ReasonUnknownKey)
	case t.Header.Alg != key.Algorithm:
		return Key{}, refuse(ReasonAlgorithm)
	case !headerTypeAllowed(t.Header.Typ):
		return Key{}, refuse(ReasonHeaderType)
	case !key.verify(t.input, t.sig):
		return Key{}, refuse(ReasonSignature)
	}
	return key, nil
}

// check applies the claim and time rules.
func (c *AccessClaims) check(want Expect) error {
	switch {
	case c.ExpiresAt == 0:
		return missing("exp")
	case c.IssuedAt == 0:
		return missing("iat")
	case c.ID == "":
		return missing("jti")
	case c.Subject == "":
		return missing("sub")
	case c.Issuer == "":
		return missing("iss")
	case c.Type == "":
		return missing("typ")
	case c.Type != TypeBearer:
		return refuse(ReasonType)
	case c.Realm == "":
		return missing("realm")
	case c.RealmID == "":
		return missing("realm_id")
	case c.Issuer != want.Issuer || c.Realm != string(want.Realm):
		return refuse(ReasonIssuer)
	case want.RealmID == "" || c.RealmID != want.RealmID:
		return refuse(ReasonRealmID)
	case want.Audience != "" && !c.Audience.Contains(want.Audience):
		return refuse(ReasonAudience)
	}
	now := want.Now.Unix()
	future := want.Now.Add(Leeway).Unix()
	switch {
	case c.ExpiresAt <= now:
		return refuse(ReasonExpired)
	case c.IssuedAt > future, c.NotBefore > future:
		return refuse(ReasonNotYetValid)
	}
	return nil
}
