package authverify

import (
	"context"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/iam"
)

// RealmIDMember is the additional JWKS member (RFC 7517 §5) in which
// OpenGate publishes a realm's immutable id beside its keys.
const RealmIDMember = "realm_id"

// KeySet is what a KeySource knows of one realm: its verification keys and
// its current immutable id. A KeySet is immutable and safe for concurrent
// use.
type KeySet struct {
	// RealmID is the realm's current immutable id; tokens must carry it
	// (realm_id). "" refuses every token of the realm.
	RealmID string
	keys    map[string]authjwt.Key
}

// NewKeySet returns the key set of a realm with id realmID. Keys that fail
// authjwt's key policy (Key.Check) are left out.
func NewKeySet(realmID string, keys ...authjwt.Key) *KeySet {
	s := &KeySet{RealmID: realmID, keys: make(map[string]authjwt.Key, len(keys))}
	for _, k := range keys {
		if k.Check() == nil {
			s.keys[k.ID] = k
		}
	}
	return s
}

// FromJWKSet converts a parsed JWKS: its keys (each with kid and alg; keys
// without them, of another use than "sig", or failing authjwt's key policy
// are left out) and its realm_id member.
func FromJWKSet(set jwk.Set) *KeySet {
	var realmID string
	if v, ok := set.Get(RealmIDMember); ok {
		realmID, _ = v.(string)
	}
	keys := make([]authjwt.Key, 0, set.Len())
	for i := range set.Len() {
		k, _ := set.Key(i)
		if u := k.KeyUsage(); u != "" && u != string(jwk.ForSignature) {
			continue
		}
		pub, err := jwk.PublicKeyOf(k)
		if err != nil {
			continue
		}
		var raw any
		if err := pub.Raw(&raw); err != nil {
			continue
		}
		keys = append(keys, authjwt.Key{ID: k.KeyID(), Algorithm: k.Algorithm().String(), Public: raw})
	}
	return NewKeySet(realmID, keys...)
}

// ParseJWKS parses a JWKS document (with OpenGate's realm_id member) into a
// KeySet.
func ParseJWKS(raw []byte) (*KeySet, error) {
	set, err := jwk.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("authverify: malformed JWKS: %w", err)
	}
	return FromJWKSet(set), nil
}

// Key returns the key kid; found is false when the set has none.
func (s *KeySet) Key(kid string) (authjwt.Key, bool) {
	k, ok := s.keys[kid]
	return k, ok
}

// Len returns the number of usable keys.
func (s *KeySet) Len() int { return len(s.keys) }

// StaticKeys is a KeySource over fixed key sets, for tests and for
// deployments that pin keys.
type StaticKeys map[iam.Realm]*KeySet

var _ KeySource = StaticKeys{}

// KeySet returns the realm's keys or a not-found error.
func (s StaticKeys) KeySet(_ context.Context, realm iam.Realm) (*KeySet, error) {
	set, ok := s[realm]
	if !ok {
		return nil, iam.NotFoundf("no keys for realm %q", realm)
	}
	return set, nil
}

// Refresh is KeySet: static keys never change.
func (s StaticKeys) Refresh(ctx context.Context, realm iam.Realm) (*KeySet, error) {
	return s.KeySet(ctx, realm)
}
