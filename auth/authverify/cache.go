package authverify

import (
	"context"
	"crypto"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/iam"
)

// WithTokenCache keeps up to size tokens this Verifier accepted, keyed by
// the SHA-256 of the whole token, so that a token presented again is not
// parsed and its signature not verified again (an RS256 verification is
// most of a resource server's per-request cost). Everything that can
// change is still checked on every use: expiry (against the clock), the
// realm still publishing the token's signing key (same kid, algorithm and
// public key), the realm's current id (a deleted or re-created realm's
// tokens are refused, as are those of a realm seen deleted), and the
// revocation list. Any other string — a forgery, a token altered in one
// byte — is not in the cache and is verified in full. size <= 0 keeps the
// default 10000.
func WithTokenCache(size int) Option {
	if size <= 0 {
		size = 10000
	}
	return func(v *Verifier) { v.tokens = &tokenCache{size: size, entries: map[[32]byte]verifiedToken{}} }
}

// verifiedToken is what the cache keeps of an accepted token.
type verifiedToken struct {
	claims *authjwt.AccessClaims
	realm  iam.Realm
	key    authjwt.Key // the key its signature verified with
}

// tokenCache is a bounded map of accepted tokens.
type tokenCache struct {
	size    int
	mu      sync.Mutex
	entries map[[32]byte]verifiedToken
}

func (c *tokenCache) get(k [32]byte) (verifiedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	return e, ok
}

// put adds e, first dropping expired entries when full, then arbitrary
// ones (map order) while still full.
func (c *tokenCache) put(k [32]byte, e verifiedToken, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.size {
		for key, old := range c.entries {
			if old.claims.ExpiresAt <= now.Unix() {
				delete(c.entries, key)
			}
		}
		for key := range c.entries {
			if len(c.entries) < c.size {
				break
			}
			delete(c.entries, key)
		}
	}
	c.entries[k] = e
}

func (c *tokenCache) drop(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
}

// cacheKey is the cache's key of raw.
func cacheKey(raw string) [32]byte { return sha256.Sum256([]byte(raw)) }

// reverify applies to a cached token every check whose outcome can change
// since it was verified; a token whose key is no longer published is
// dropped and verified in full.
func (v *Verifier) reverify(ctx context.Context, k [32]byte, raw string, e verifiedToken) (*iam.Principal, error) {
	if e.claims.ExpiresAt <= v.clock().Unix() {
		v.tokens.drop(k)
		return nil, &authjwt.Error{Reason: authjwt.ReasonExpired}
	}
	set, err := v.keySet(ctx, e.realm, e.key.ID)
	if err != nil {
		return nil, err
	}
	if current, ok := set.Key(e.key.ID); !ok || current.Algorithm != e.key.Algorithm || !samePublicKey(current.Public, e.key.Public) {
		v.tokens.drop(k)
		return v.verifyFully(ctx, k, raw)
	}
	realmID, err := v.realmID(ctx, e.realm, set)
	if err != nil {
		return nil, err
	}
	if realmID == "" || realmID != e.claims.RealmID {
		return nil, &authjwt.Error{Reason: authjwt.ReasonRealmID}
	}
	if v.revoked != nil {
		revoked, err := v.revoked.Revoked(ctx, e.realm, e.claims.ID, e.claims.SessionID, time.Unix(e.claims.IssuedAt, 0))
		if err != nil {
			return nil, &iam.Error{Code: iam.CodeUnavailable, Op: "authverify.Verify", Message: "revocation list unavailable", Err: err}
		}
		if revoked {
			return nil, &authjwt.Error{Reason: authjwt.ReasonRevoked}
		}
	}
	return e.claims.Principal(), nil
}

// samePublicKey reports whether a and b are the same public key (RSA,
// ECDSA and Ed25519 keys compare with Equal).
func samePublicKey(a, b any) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}
