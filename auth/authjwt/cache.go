package authjwt

import (
	"context"
	"crypto"
	"crypto/sha256"
	"errors"
	"sync"
	"time"
)

// DefaultCacheSize is the number of tokens a Cache holds when NewCache is
// given no size.
const DefaultCacheSize = 10_000

// Cache remembers the access tokens whose signature verified, keyed by the
// SHA-256 of the whole token, so that a token presented again is neither
// parsed nor has its signature verified again (an ECDSA or RSA
// verification is most of the cost of checking a token). It skips only
// that: everything that can change is checked on every use, as
// Token.Verify checks it — the key that verified the signature must still
// be the one keys publishes under its kid (same algorithm and public
// key), every claim rule against the current Expect (expiry against its
// Now, issuer, realm, the realm's current id, audience), and the
// revocation check. Any other string — a forgery, a token altered in one
// byte — is not in the cache and is verified in full.
//
// It holds at most its size: when full, the tokens that have expired are
// dropped (at most once a second), then arbitrary ones. Safe for concurrent
// use. authverify's verifiers (WithTokenCache) and the token service's
// introspection and userinfo (auth.WithTokenCache) use it.
type Cache struct {
	size int

	mu        sync.Mutex
	entries   map[[32]byte]cachedToken
	lastSweep time.Time
}

// cachedToken is what the cache keeps of a verified token.
type cachedToken struct {
	claims *AccessClaims
	key    Key // the key its signature verified with
}

// NewCache returns an empty cache of at most size tokens (DefaultCacheSize
// when size <= 0).
func NewCache(size int) *Cache {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Cache{size: size, entries: map[[32]byte]cachedToken{}}
}

// Resolve gives Cache.Verify what to verify a token against, given the
// token's header kid and its claims — unverified: use them only to choose
// (the realm named by the issuer), never to trust. An error fails the
// verification with that error.
type Resolve func(ctx context.Context, kid string, claims *AccessClaims) (Keys, Expect, error)

// Verify returns what Parse followed by Token.Verify returns for raw, with
// the keys and expectations resolve gives, skipping the parsing and the
// signature check when raw is in the cache and its key is still published
// (see Cache). A token Verify accepts in full is added to the cache. A
// refusal is an *Error; errors of resolve, of the keys and of
// Expect.Revoked are returned as they are. The claims returned share their
// slices and maps with the cache: callers must not modify them.
func (c *Cache) Verify(ctx context.Context, raw string, resolve Resolve) (*AccessClaims, error) {
	k := sha256.Sum256([]byte(raw))
	if e, ok := c.get(k); ok {
		claims, err := c.reverify(ctx, k, e, resolve)
		if !errors.Is(err, errKeyChanged) {
			return claims, err
		}
	}
	tok, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	keys, want, err := resolve(ctx, tok.Header.Kid, &tok.Claims)
	if err != nil {
		return nil, err
	}
	claims, key, err := tok.verify(ctx, keys, want)
	if err != nil {
		return nil, err
	}
	c.put(k, cachedToken{claims: claims, key: key}, want.Now)
	out := *claims
	return &out, nil
}

// errKeyChanged makes Verify verify a cached token in full: its key is no
// longer the one published under its kid.
var errKeyChanged = errors.New("authjwt: the cached token's key changed")

// reverify applies to the cached token e every check whose outcome can
// change; errKeyChanged when its key is no longer published as it was.
func (c *Cache) reverify(ctx context.Context, k [32]byte, e cachedToken, resolve Resolve) (*AccessClaims, error) {
	keys, want, err := resolve(ctx, e.key.ID, e.claims)
	if err != nil {
		return nil, err
	}
	current, found, err := keys.Key(ctx, e.key.ID)
	if err != nil {
		return nil, err
	}
	if !found || current.Algorithm != e.key.Algorithm || !samePublicKey(current.Public, e.key.Public) {
		c.drop(k)
		return nil, errKeyChanged
	}
	if err := e.claims.check(want); err != nil {
		c.drop(k)
		return nil, err
	}
	if err := e.claims.revoked(ctx, want); err != nil {
		return nil, err
	}
	out := *e.claims
	return &out, nil
}

// Len returns the number of tokens held.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

func (c *Cache) get(k [32]byte) (cachedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[k]
	return e, ok
}

// put adds e; when the cache is full it first drops the expired tokens (at
// most once a second: the sweep visits every entry), then arbitrary ones
// (map order) while still full.
func (c *Cache) put(k [32]byte, e cachedToken, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[k]; !ok && len(c.entries) >= c.size {
		if now.Sub(c.lastSweep) >= time.Second || now.Before(c.lastSweep) {
			c.lastSweep = now
			for key, old := range c.entries {
				if old.claims.ExpiresAt <= now.Unix() {
					delete(c.entries, key)
				}
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

func (c *Cache) drop(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, k)
}

// samePublicKey reports whether a and b are the same public key (RSA,
// ECDSA and Ed25519 keys compare with Equal).
func samePublicKey(a, b any) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}
