package password

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// argon2Version is the only argon2 version golang.org/x/crypto implements
// (0x13, "1.3").
const argon2Version = 19

// b64 is the PHC string format's base64: standard alphabet, no padding.
var b64 = base64.RawStdEncoding

// encodeArgon2 renders an argon2 PHC string.
func encodeArgon2(alg string, version int, p Params, salt, key []byte) string {
	return fmt.Sprintf("$%s$v=%d$m=%d,t=%d,p=%d$%s$%s",
		alg, version, p.Memory, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// encodePBKDF2 renders a PBKDF2 PHC string: $pbkdf2-sha256$i=27500$<salt>$<key>.
func encodePBKDF2(alg string, iterations int, salt, key []byte) string {
	return fmt.Sprintf("$%s$i=%d$%s$%s", alg, iterations, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Decode parses a stored hash: an argon2id or argon2i PHC string (version
// 19), a PBKDF2 PHC string ($pbkdf2-sha1$, $pbkdf2-sha256$, $pbkdf2-sha512$
// with i=<iterations>), or a bcrypt modular-crypt string ($2a$, $2b$, $2y$).
// Parameters outside the package's bounds are rejected (ErrParams), so a
// Decoded hash is always safe to verify.
func Decode(encoded string) (Decoded, error) {
	if strings.HasPrefix(encoded, "$2") {
		return decodeBcrypt(encoded)
	}
	parts := strings.Split(encoded, "$")
	if len(parts) < 2 || parts[0] != "" {
		return Decoded{}, fmt.Errorf("%w: not a PHC string", ErrMalformed)
	}
	switch parts[1] {
	case Argon2id, Argon2i:
		return decodeArgon2(parts)
	case PBKDF2SHA1, PBKDF2SHA256, PBKDF2SHA512:
		return decodePBKDF2(parts)
	case "argon2d":
		return Decoded{}, fmt.Errorf("%w: argon2d", ErrUnsupported)
	}
	return Decoded{}, fmt.Errorf("%w: %q", ErrUnsupported, parts[1])
}

// decodeArgon2 parses ["", alg, "v=19", "m=..,t=..,p=..", salt, key].
func decodeArgon2(parts []string) (Decoded, error) {
	if len(parts) != 6 {
		return Decoded{}, fmt.Errorf("%w: argon2 needs 5 fields", ErrMalformed)
	}
	if parts[2] != "v=19" {
		if strings.HasPrefix(parts[2], "v=") {
			return Decoded{}, fmt.Errorf("%w: argon2 version %s", ErrUnsupported, parts[2][2:])
		}
		return Decoded{}, fmt.Errorf("%w: argon2 version field", ErrMalformed)
	}
	kv, err := parseParams(parts[3], "m", "t", "p")
	if err != nil {
		return Decoded{}, err
	}
	salt, key, err := saltAndKey(parts[4], parts[5])
	if err != nil {
		return Decoded{}, err
	}
	if kv["p"] > 255 {
		return Decoded{}, fmt.Errorf("%w: parallelism", ErrParams)
	}
	p := Params{Memory: uint32(kv["m"]), Iterations: uint32(kv["t"]), Parallelism: uint8(kv["p"]),
		SaltLength: uint32(len(salt)), KeyLength: uint32(len(key))}
	if err := p.Validate(); err != nil {
		return Decoded{}, err
	}
	return Decoded{Algorithm: parts[1], Argon2: p, Salt: salt, Key: key}, nil
}

// decodePBKDF2 parses ["", alg, "i=N", salt, key].
func decodePBKDF2(parts []string) (Decoded, error) {
	if len(parts) != 5 {
		return Decoded{}, fmt.Errorf("%w: pbkdf2 needs 4 fields", ErrMalformed)
	}
	kv, err := parseParams(parts[2], "i")
	if err != nil {
		return Decoded{}, err
	}
	salt, key, err := saltAndKey(parts[3], parts[4])
	if err != nil {
		return Decoded{}, err
	}
	d := Decoded{Algorithm: parts[1], Iterations: kv["i"], Salt: salt, Key: key}
	return d, checkPBKDF2(d)
}

// checkPBKDF2 bounds a PBKDF2 hash's cost and sizes.
func checkPBKDF2(d Decoded) error {
	switch {
	case d.Iterations < 1 || d.Iterations > MaxPBKDF2Iterations:
		return fmt.Errorf("%w: pbkdf2 iterations must be 1..%d", ErrParams, MaxPBKDF2Iterations)
	case len(d.Key) < MinKeyLength || len(d.Key) > MaxKeyLength:
		return fmt.Errorf("%w: key length must be %d..%d bytes", ErrParams, MinKeyLength, MaxKeyLength)
	case len(d.Salt) > MaxSaltLength:
		return fmt.Errorf("%w: salt longer than %d bytes", ErrParams, MaxSaltLength)
	}
	return nil
}

// decodeBcrypt checks a modular-crypt bcrypt string.
func decodeBcrypt(encoded string) (Decoded, error) {
	if len(encoded) != 60 || !(strings.HasPrefix(encoded, "$2a$") || strings.HasPrefix(encoded, "$2b$") ||
		strings.HasPrefix(encoded, "$2y$")) {
		return Decoded{}, fmt.Errorf("%w: bcrypt", ErrMalformed)
	}
	cost, err := bcrypt.Cost([]byte(encoded))
	if err != nil {
		return Decoded{}, fmt.Errorf("%w: bcrypt cost", ErrMalformed)
	}
	if cost > MaxBcryptCost {
		return Decoded{}, fmt.Errorf("%w: bcrypt cost must be at most %d", ErrParams, MaxBcryptCost)
	}
	return Decoded{Algorithm: Bcrypt, Iterations: cost, Key: []byte(encoded)}, nil
}

// parseParams parses "k1=v1,k2=v2" holding exactly keys, in order, each a
// non-negative decimal integer.
func parseParams(s string, keys ...string) (map[string]int, error) {
	fields := strings.Split(s, ",")
	if len(fields) != len(keys) {
		return nil, fmt.Errorf("%w: parameters", ErrMalformed)
	}
	kv := make(map[string]int, len(keys))
	for i, f := range fields {
		k, v, ok := strings.Cut(f, "=")
		if !ok || k != keys[i] {
			return nil, fmt.Errorf("%w: parameter %s", ErrMalformed, keys[i])
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: parameter %s", ErrMalformed, keys[i])
		}
		kv[k] = int(n)
	}
	return kv, nil
}

// saltAndKey decodes the base64 salt and key fields.
func saltAndKey(salt, key string) ([]byte, []byte, error) {
	s, err := b64.DecodeString(salt)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: salt encoding", ErrMalformed)
	}
	k, err := b64.DecodeString(key)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: hash encoding", ErrMalformed)
	}
	return s, k, nil
}
