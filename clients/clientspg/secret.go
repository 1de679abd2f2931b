package clientspg

import (
	"crypto/subtle"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

// macPurpose names the subkey of the deployment key that secret verifiers
// are keyed with (iamcrypto.Sealer.MAC): never the sealing key itself.
const macPurpose = "clients/secret"

// verifierVersion is the first byte of a keyed verifier: version(1) ||
// HMAC-SHA-256(subkey, realm NUL id NUL secret). Verifiers stored before
// keyed ones are the bare 32-byte SHA-256 of the secret, told apart by
// their length (the version byte is the marker: no schema change).
const verifierVersion byte = 1

// verifier returns the stored verifier of client id's secret ("": none).
func (s *Store) verifier(realm iam.Realm, id, secret string) []byte {
	if secret == "" {
		return nil
	}
	return append([]byte{verifierVersion}, s.mac.Sum(clients.SecretMACInput(realm, id, secret))...)
}

// MatchSecret implements clients.Store. A keyed verifier matches if its
// HMAC does under the current deployment key or a previous one (stale: a
// previous key's). A legacy verifier — the unkeyed SHA-256 of the secret,
// as stored before keyed verifiers — still matches, and is stale: the
// clients service replaces it after the secret matched it (and any Update
// does), so a database copied after that reveals nothing guessable. Both
// kinds are computed on every call and compared in constant time, so the
// time taken does not depend on the kind or on a match.
func (s *Store) MatchSecret(realm iam.Realm, id string, hash []byte, secret string) (match, stale bool) {
	input := clients.SecretMACInput(realm, id, secret)
	var tag []byte
	if len(hash) == 1+iamcrypto.MACSize && hash[0] == verifierVersion {
		tag = hash[1:]
	}
	keyed, current := s.mac.Verify(input, tag)
	legacy := subtle.ConstantTimeCompare(iamcrypto.SHA256(secret), hash) == 1 // 0 for a keyed verifier's length
	switch {
	case keyed:
		return true, !current
	case legacy:
		return true, true
	}
	return false, false
}
