// Package iamcrypto holds the small cryptographic helpers OpenGate services
// share: AES-256-GCM sealing of secrets at rest under the deployment key
// (OPENGATE_SECRET_KEY), parsing and generating that key, random tokens and
// SHA-256 digests for constant-time secret checks.
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
// Secrets are compared through their digests:
//
//	ok := subtle.ConstantTimeCompare(iamcrypto.SHA256(given), storedHash) == 1
package iamcrypto
