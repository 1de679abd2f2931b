package iamcrypto

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// ParseKey decodes a deployment key given as 64 hexadecimal digits or as
// base64 (standard or URL alphabet, padded or not). The decoded key must be
// exactly KeySize bytes; anything else is CodeInvalid (field "key") with a
// message that never repeats the input.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, iam.Invalidf("key", "secret key is empty; give 32 bytes as base64 or 64 hex digits")
	}
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		if len(b) != KeySize {
			return nil, iam.Invalidf("key", "secret key decodes to %d bytes, want exactly 32", len(b))
		}
		return b, nil
	}
	return nil, iam.Invalidf("key", "secret key is neither base64 nor 64 hex digits")
}

// GenerateKey returns a new random KeySize-byte key.
func GenerateKey() []byte {
	key := make([]byte, KeySize)
	_, _ = rand.Read(key) // crypto/rand.Read never fails (it crashes the program instead)
	return key
}

// EncodeKey returns key in standard base64, the form ParseKey reads and
// documentation shows (e.g. for printing a generated key once).
func EncodeKey(key []byte) string {
	return base64.StdEncoding.EncodeToString(key)
}

// RandomToken returns nbytes of randomness encoded as unpadded base64url,
// suitable for client secrets (32 bytes = 256 bits), codes and ids. nbytes
// below 16 is raised to 16: no token of OpenGate has fewer than 128 bits.
func RandomToken(nbytes int) string {
	if nbytes < 16 {
		nbytes = 16
	}
	b := make([]byte, nbytes)
	_, _ = rand.Read(b) // never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// SHA256 returns the SHA-256 digest of s.
func SHA256(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
