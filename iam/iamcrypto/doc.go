// Package iamcrypto holds the small cryptographic helpers OpenGate services
// share: AES-256-GCM sealing of secrets at rest under the deployment key
// (OPENGATE_SECRET_KEY), HMAC-SHA-256 under subkeys derived from it, parsing
// and generating that key, random tokens and SHA-256 digests for
// constant-time secret checks.
//
// It depends only on the standard library and iam.
//
//	key, err := iamcrypto.ParseKey(getenv("OPENGATE_SECRET_KEY")) // base64 or hex, 32 bytes
//	if err != nil { ... }
//	sealer, err := iamcrypto.NewSealer(key)
//	if err != nil { ... }
//	// Bind the ciphertext to its row, so it cannot be copied to another one.
//	sealed, err := sealer.Seal([]byte(secret), []byte("acme/"+clientUUID))
//	...
//	plain, err := sealer.Open(sealed, []byte("acme/"+clientUUID))
//
// To rotate the deployment key, give the old key as a previous key: values
// sealed under it still open, new values are sealed under the new key
// (iampg.CheckSealingKey records which key a database is sealed with):
//
//	sealer, err := iamcrypto.NewSealer(newKey, oldKey)
//
// Secrets kept only to be compared are stored as keyed hashes under a
// subkey derived for their purpose (HKDF-SHA-256), never under the sealing
// key itself, so a stolen database allows no offline guessing:
//
//	mac := sealer.MAC("clients/secret")
//	stored := mac.Sum([]byte(secret))
//	ok, current := mac.Verify([]byte(given), stored) // constant time; !current: re-hash under the new key
//
// Values that live only in a process's memory may be compared through
// their plain digests:
//
//	ok := subtle.ConstantTimeCompare(iamcrypto.SHA256(given), digest) == 1
package iamcrypto
