package auth

import (
	"context"
	"encoding/json"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// KeyInfo describes a signing key without its private part.
type KeyInfo struct {
	ID        string // kid
	Algorithm string
	CreatedAt time.Time
}

// JWKS returns the JSON Web Key Set of realm: its active key and the retired
// keys whose tokens may still be valid, and the realm's immutable id
// (member realm_id). A realm's first key is created on first use.
// CodeNotFound for an unknown realm.
func (s *Service) JWKS(ctx context.Context, realm iam.Realm) ([]byte, error) {
	const op = "auth.JWKS"
	r, err := s.Realm(ctx, realm)
	if err != nil {
		return nil, err
	}
	set, err := s.keys.jwks(ctx, realm, signingAlg(r))
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	set.RealmID = r.ID
	raw, err := json.Marshal(set)
	return raw, iam.Wrap(op, err)
}

// RealmID returns the immutable id of realm as auth sees it (the id its
// tokens carry); CodeNotFound for an unknown realm. A verifier in the same
// process checks the realm_id claim against it (authverify.WithRealmIDs).
func (s *Service) RealmID(ctx context.Context, realm iam.Realm) (string, error) {
	r, err := s.Realm(ctx, realm)
	if err != nil {
		return "", err
	}
	return r.ID, nil
}

// DeleteRealmKeys deletes every signing key of realm, so that tokens signed
// before the realm was deleted never verify again, even if a realm of the
// same name is created later. Other replicas drop their cached keys within
// WithKeyCacheTTL. Idempotent.
func (s *Service) DeleteRealmKeys(ctx context.Context, realm iam.Realm) error {
	if err := realm.Validate(); err != nil {
		return err
	}
	if err := s.keys.store.DeleteRealmKeys(ctx, realm); err != nil {
		return iam.Wrap("auth.DeleteRealmKeys", err)
	}
	s.keys.forget(realm)
	return nil
}

// DeleteRealm forgets everything of realm (the realm was deleted): its
// signing keys (DeleteRealmKeys) and every code, refresh token, session,
// revocation and failure counter in the token store, so that nothing issued
// in it works in a realm of the same name created later. Idempotent.
func (s *Service) DeleteRealm(ctx context.Context, realm iam.Realm) error {
	if err := s.DeleteRealmKeys(ctx, realm); err != nil {
		return err
	}
	s.forgetEpoch(realm)
	return iam.Wrap("auth.DeleteRealm", s.tokens.DeleteRealm(ctx, realm))
}

// RotateKey replaces realm's active signing key by a new one of the realm's
// algorithm and returns it. New tokens are signed with the new key at once
// on this replica (within WithKeyCacheTTL on others); the old key stays in the
// JWKS for the maximum token lifespan, so tokens it signed stay valid until
// they expire. A realm keeps at most MaxRetiredKeys such keys: while it has
// that many, RotateKey answers CodeRateLimited with a retry hint (the time
// until the oldest of them expires). CodeNotFound for an unknown realm.
func (s *Service) RotateKey(ctx context.Context, realm iam.Realm) (KeyInfo, error) {
	r, err := s.Realm(ctx, realm)
	if err != nil {
		return KeyInfo{}, err
	}
	k, err := s.keys.rotate(ctx, realm, signingAlg(r))
	if err != nil {
		return KeyInfo{}, iam.Wrap("auth.RotateKey", err)
	}
	return KeyInfo{ID: k.ID, Algorithm: k.Algorithm, CreatedAt: k.CreatedAt}, nil
}
