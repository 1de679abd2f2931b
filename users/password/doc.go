// Package password hashes and verifies passwords. New hashes are argon2id in
// the PHC string format
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// (salt and hash in unpadded standard base64), with OWASP's parameters by
// default. Verify also accepts the formats a Keycloak migration brings along —
// argon2id/argon2i, PBKDF2 with HMAC-SHA1/-SHA256/-SHA512 and bcrypt — which
// Keycloak's credential JSON is converted to by ParseKeycloak and
// KeycloakCredential.Encode. NeedsRehash tells a caller when a hash should be
// replaced by a fresh argon2id hash at the current parameters (after a
// successful login, when the plaintext is at hand).
//
// Cost parameters are bounded (MaxMemoryKiB, MaxArgon2Iterations,
// MaxPBKDF2Iterations, MaxBcryptCost, ...): a hash beyond them is refused
// before any work. A Limiter bounds how many hashes run at once in a
// process:
//
//	limit := password.NewLimiter(0, -1) // GOMAXPROCS slots, a short queue
//	release, err := limit.Acquire(ctx)   // ErrBusy: answer "retry later"
//	if err != nil { ... }
//	defer release()
//
// The package depends only on the standard library and golang.org/x/crypto.
// Comparisons are constant-time. Errors never contain the password or the
// hash.
//
//	p := password.DefaultParams()
//	encoded, err := password.Hash("correct horse battery staple", p)
//	...
//	ok, err := password.Verify(encoded, attempt)
//	if ok && password.NeedsRehash(encoded, p) {
//		encoded, err = password.Hash(attempt, p)
//	}
package password
