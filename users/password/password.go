package password

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"errors"
	"fmt"
	"hash"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Algorithm identifiers: the PHC identifier of each stored format.
const (
	Argon2id     = "argon2id"
	Argon2i      = "argon2i"
	PBKDF2SHA1   = "pbkdf2-sha1"
	PBKDF2SHA256 = "pbkdf2-sha256"
	PBKDF2SHA512 = "pbkdf2-sha512"
	Bcrypt       = "bcrypt"
)

// Errors. Every error returned by this package wraps one of these.
var (
	// ErrMalformed: an encoded hash or a Keycloak credential could not be
	// parsed.
	ErrMalformed = errors.New("password: malformed hash")
	// ErrUnsupported: a well-formed hash of an algorithm or variant this
	// package does not implement (argon2d, argon2 version 1.0, ...).
	ErrUnsupported = errors.New("password: unsupported hash algorithm")
	// ErrParams: cost parameters outside the accepted bounds.
	ErrParams = errors.New("password: hash parameters out of bounds")
)

// Bounds on cost parameters, so that no stored, imported or configured hash
// can make one verification exhaust the machine: each maximum costs at most
// 64 MiB and roughly a second of one CPU core. Decode, Validate and
// KeycloakCredential.Encode refuse anything beyond them (ErrParams), so a
// hash above a bound never reaches the hashing primitives.
//
//   - MaxMemoryKiB (64 MiB): RFC 9106's second recommended argon2id setting
//     (m=64 MiB, t=3, p=4) and above every OWASP setting (19 MiB with t=2
//     by default, at most 46 MiB). With a Limiter, hashing holds at most
//     Slots × 64 MiB.
//   - MaxArgon2Iterations (10) and MaxArgon2MemoryPasses (256 MiB: memory ×
//     iterations): twice OWASP's highest t (5, at 7 MiB); 64 MiB allows t≤4,
//     19 MiB t≤10. The product bounds the time of one hash to about 7 times
//     the OWASP default's.
//   - MaxParallelism (8): one hash uses at most 8 threads (RFC 9106
//     recommends p=4, OWASP and Keycloak p=1).
//   - MaxPBKDF2Iterations (1,300,000): OWASP's highest PBKDF2 figure
//     (HMAC-SHA1; it recommends 600,000 for SHA-256 and 210,000 for
//     SHA-512, Keycloak's default since version 24).
//   - MaxBcryptCost (14): 2^14 rounds; OWASP asks for at least 10, and
//     bcrypt allows up to 31 (2^31 rounds: hours per check).
const (
	MaxMemoryKiB          = 64 * 1024
	MaxArgon2Iterations   = 10
	MaxArgon2MemoryPasses = 256 * 1024 // KiB × iterations
	MaxParallelism        = 8
	MaxPBKDF2Iterations   = 1_300_000
	MaxBcryptCost         = 14
	MinKeyLength          = 16
	MaxKeyLength          = 512
	MaxSaltLength         = 1024
)

// Params are argon2id cost parameters.
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32 // time cost t
	Parallelism uint8  // lanes p
	SaltLength  uint32 // bytes of random salt
	KeyLength   uint32 // bytes of derived key
}

// DefaultParams returns OWASP's recommended argon2id parameters: m=19456 KiB
// (19 MiB), t=2, p=1, a 16-byte salt and a 32-byte key.
func DefaultParams() Params {
	return Params{Memory: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
}

// Validate reports (wrapping ErrParams) parameters argon2id cannot use or
// that exceed the package's bounds: memory must be at least 8 KiB per lane,
// and memory × iterations at most MaxArgon2MemoryPasses.
func (p Params) Validate() error {
	switch {
	case p.Iterations < 1 || p.Iterations > MaxArgon2Iterations:
		return fmt.Errorf("%w: iterations must be 1..%d", ErrParams, MaxArgon2Iterations)
	case p.Parallelism < 1 || p.Parallelism > MaxParallelism:
		return fmt.Errorf("%w: parallelism must be 1..%d", ErrParams, MaxParallelism)
	case p.Memory < 8*uint32(p.Parallelism) || p.Memory > MaxMemoryKiB:
		return fmt.Errorf("%w: memory must be %d..%d KiB", ErrParams, 8*uint32(p.Parallelism), MaxMemoryKiB)
	case uint64(p.Memory)*uint64(p.Iterations) > MaxArgon2MemoryPasses:
		return fmt.Errorf("%w: memory × iterations must be at most %d KiB", ErrParams, MaxArgon2MemoryPasses)
	case p.SaltLength < 8 || p.SaltLength > MaxSaltLength:
		return fmt.Errorf("%w: salt length must be 8..%d bytes", ErrParams, MaxSaltLength)
	case p.KeyLength < MinKeyLength || p.KeyLength > MaxKeyLength:
		return fmt.Errorf("%w: key length must be %d..%d bytes", ErrParams, MinKeyLength, MaxKeyLength)
	}
	return nil
}

// Hash returns the argon2id PHC string of password under p with a fresh
// random salt.
func Hash(password string, p Params) (string, error) {
	if err := p.Validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: random salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength)
	return encodeArgon2(Argon2id, argon2Version, p, salt, key), nil
}

// Verify reports whether password matches encoded, in any format Decode
// accepts. The comparison of derived keys is constant-time. It returns an
// error (and false) only when encoded is malformed, unsupported or out of
// bounds.
func Verify(encoded, password string) (bool, error) {
	h, err := Decode(encoded)
	if err != nil {
		return false, err
	}
	return h.Verify(password)
}

// NeedsRehash reports whether encoded should be replaced by Hash(password, p):
// it is not argon2id, or any of its memory, iterations, parallelism or key
// length is below p's. A malformed hash needs a rehash.
func NeedsRehash(encoded string, p Params) bool {
	h, err := Decode(encoded)
	if err != nil || h.Algorithm != Argon2id {
		return true
	}
	a := h.Argon2
	return a.Memory < p.Memory || a.Iterations < p.Iterations ||
		a.Parallelism < p.Parallelism || a.KeyLength < p.KeyLength
}

// Decoded is a parsed stored hash.
type Decoded struct {
	Algorithm string
	// Argon2 holds the cost parameters of an argon2 hash (SaltLength and
	// KeyLength are those of the stored salt and key).
	Argon2 Params
	// Iterations is PBKDF2's iteration count or bcrypt's cost.
	Iterations int
	Salt       []byte
	Key        []byte // derived key; for bcrypt the whole modular-crypt string
}

// Verify reports whether password matches the decoded hash, comparing in
// constant time.
func (h Decoded) Verify(password string) (bool, error) {
	switch h.Algorithm {
	case Argon2id, Argon2i:
		a := h.Argon2
		derive := argon2.IDKey
		if h.Algorithm == Argon2i {
			derive = argon2.Key
		}
		got := derive([]byte(password), h.Salt, a.Iterations, a.Memory, a.Parallelism, uint32(len(h.Key)))
		return subtle.ConstantTimeCompare(got, h.Key) == 1, nil
	case PBKDF2SHA1, PBKDF2SHA256, PBKDF2SHA512:
		got, err := pbkdf2.Key(pbkdf2Hash(h.Algorithm), password, h.Salt, h.Iterations, len(h.Key))
		if err != nil {
			return false, fmt.Errorf("%w: pbkdf2: %v", ErrParams, err)
		}
		return subtle.ConstantTimeCompare(got, h.Key) == 1, nil
	case Bcrypt:
		err := bcrypt.CompareHashAndPassword(h.Key, []byte(password))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
			return false, nil
		default:
			return false, fmt.Errorf("%w: bcrypt", ErrMalformed)
		}
	}
	return false, fmt.Errorf("%w: %q", ErrUnsupported, h.Algorithm)
}

// pbkdf2Hash returns the HMAC hash of a PBKDF2 algorithm identifier.
func pbkdf2Hash(alg string) func() hash.Hash {
	switch alg {
	case PBKDF2SHA256:
		return sha256.New
	case PBKDF2SHA512:
		return sha512.New
	default:
		return sha1.New
	}
}
