package authverify

import "github.com/opengate-iam/opengate/auth/authjwt"

// WithTokenCache keeps up to size tokens this Verifier accepted in an
// authjwt.Cache, keyed by the SHA-256 of the whole token, so that a token
// presented again is not parsed and its signature not verified again (an
// RS256 verification is most of a resource server's per-request cost).
// Everything that can change is still checked on every use: expiry
// (against the clock), the realm still publishing the token's signing key
// (same kid, algorithm and public key), the realm's current id (a deleted
// or re-created realm's tokens are refused, as are those of a realm seen
// deleted), and the revocation list. Any other string — a forgery, a token
// altered in one byte — is not in the cache and is verified in full.
// size <= 0 keeps the default 10000 (authjwt.DefaultCacheSize).
func WithTokenCache(size int) Option {
	return func(v *Verifier) { v.tokens = authjwt.NewCache(size) }
}
