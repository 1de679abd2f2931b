package password

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Keycloak's password hash provider ids (the credentialData "algorithm").
const (
	KeycloakArgon2       = "argon2"
	KeycloakPBKDF2       = "pbkdf2" // HMAC-SHA1
	KeycloakPBKDF2SHA256 = "pbkdf2-sha256"
	KeycloakPBKDF2SHA512 = "pbkdf2-sha512"
	KeycloakBcrypt       = "bcrypt" // the widely used keycloak-bcrypt extension
)

// KeycloakCredential is the hash material of a Keycloak password credential,
// as exported by Keycloak 26 (the secretData and credentialData JSON strings)
// or by older versions (hashedSaltedValue, salt, hashIterations, algorithm).
type KeycloakCredential struct {
	Algorithm  string // KeycloakArgon2, KeycloakPBKDF2, ...
	Iterations int    // hashIterations: PBKDF2 iterations, argon2 t, bcrypt cost
	Salt       []byte // raw salt (base64 in Keycloak's JSON); empty for bcrypt
	// Value is the hash as Keycloak stores it: base64 of the derived key, or
	// the modular-crypt string for bcrypt.
	Value string
	// Parameters are Keycloak's additionalParameters; argon2 reads type
	// ("id", "i"), version ("1.3"), hashLength, memory (KiB) and parallelism.
	Parameters map[string][]string
}

// keycloakSecret is Keycloak's PasswordSecretData JSON.
type keycloakSecret struct {
	Value string `json:"value"`
	Salt  string `json:"salt"`
}

// keycloakData is Keycloak's PasswordCredentialData JSON.
type keycloakData struct {
	HashIterations       int                 `json:"hashIterations"`
	Algorithm            string              `json:"algorithm"`
	AdditionalParameters map[string][]string `json:"additionalParameters"`
}

// ParseKeycloak parses the secretData ({"value":...,"salt":...}) and
// credentialData ({"hashIterations":...,"algorithm":...,
// "additionalParameters":{...}}) JSON strings of a Keycloak 26 credential
// export. Errors wrap ErrMalformed and never quote the secret.
func ParseKeycloak(secretData, credentialData string) (KeycloakCredential, error) {
	var s keycloakSecret
	if err := json.Unmarshal([]byte(secretData), &s); err != nil {
		return KeycloakCredential{}, fmt.Errorf("%w: secretData is not Keycloak's JSON", ErrMalformed)
	}
	var d keycloakData
	if err := json.Unmarshal([]byte(credentialData), &d); err != nil {
		return KeycloakCredential{}, fmt.Errorf("%w: credentialData is not Keycloak's JSON", ErrMalformed)
	}
	salt, err := DecodeKeycloakBase64(s.Salt)
	if err != nil {
		return KeycloakCredential{}, fmt.Errorf("%w: salt encoding", ErrMalformed)
	}
	return KeycloakCredential{Algorithm: d.Algorithm, Iterations: d.HashIterations, Salt: salt,
		Value: s.Value, Parameters: d.AdditionalParameters}, nil
}

// DecodeKeycloakBase64 decodes base64 as Keycloak writes it (standard
// alphabet, padded), also accepting it unpadded. "" decodes to nil.
func DecodeKeycloakBase64(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// Encode converts the credential into the stored format Verify accepts,
// checking it is well-formed and within the package's bounds. Unsupported
// variants (argon2d, argon2 version 1.0, unknown algorithms) wrap
// ErrUnsupported.
func (c KeycloakCredential) Encode() (string, error) {
	switch c.Algorithm {
	case KeycloakPBKDF2, KeycloakPBKDF2SHA256, KeycloakPBKDF2SHA512:
		key, err := DecodeKeycloakBase64(c.Value)
		if err != nil {
			return "", fmt.Errorf("%w: value encoding", ErrMalformed)
		}
		alg := map[string]string{KeycloakPBKDF2: PBKDF2SHA1, KeycloakPBKDF2SHA256: PBKDF2SHA256,
			KeycloakPBKDF2SHA512: PBKDF2SHA512}[c.Algorithm]
		d := Decoded{Algorithm: alg, Iterations: c.Iterations, Salt: c.Salt, Key: key}
		if err := checkPBKDF2(d); err != nil {
			return "", err
		}
		return encodePBKDF2(alg, c.Iterations, c.Salt, key), nil
	case KeycloakArgon2:
		return c.encodeArgon2()
	case KeycloakBcrypt:
		if _, err := decodeBcrypt(c.Value); err != nil {
			return "", err
		}
		return c.Value, nil
	}
	return "", fmt.Errorf("%w: Keycloak algorithm %q", ErrUnsupported, c.Algorithm)
}

// encodeArgon2 converts Keycloak's argon2 provider credential, with its
// defaults (type id, version 1.3, 32-byte hash, 7168 KiB, parallelism 1) for
// absent parameters.
func (c KeycloakCredential) encodeArgon2() (string, error) {
	param := func(name, def string) string {
		if v := c.Parameters[name]; len(v) > 0 && v[0] != "" {
			return v[0]
		}
		return def
	}
	var alg string
	switch t := param("type", "id"); t {
	case "id":
		alg = Argon2id
	case "i":
		alg = Argon2i
	default:
		return "", fmt.Errorf("%w: argon2 type %q", ErrUnsupported, t)
	}
	if v := param("version", "1.3"); v != "1.3" {
		return "", fmt.Errorf("%w: argon2 version %q", ErrUnsupported, v)
	}
	ints := map[string]int{}
	for name, def := range map[string]string{"hashLength": "32", "memory": "7168", "parallelism": "1"} {
		n, err := strconv.Atoi(param(name, def))
		if err != nil || n < 0 {
			return "", fmt.Errorf("%w: argon2 %s", ErrMalformed, name)
		}
		ints[name] = n
	}
	key, err := DecodeKeycloakBase64(c.Value)
	if err != nil {
		return "", fmt.Errorf("%w: value encoding", ErrMalformed)
	}
	if len(key) != ints["hashLength"] {
		return "", fmt.Errorf("%w: argon2 value is not hashLength bytes", ErrMalformed)
	}
	// Bound the values before they are narrowed to Params' integer types;
	// Validate then checks the rest.
	switch {
	case c.Iterations < 1 || c.Iterations > MaxArgon2Iterations:
		return "", fmt.Errorf("%w: argon2 iterations must be 1..%d", ErrParams, MaxArgon2Iterations)
	case ints["parallelism"] < 1 || ints["parallelism"] > MaxParallelism:
		return "", fmt.Errorf("%w: argon2 parallelism must be 1..%d", ErrParams, MaxParallelism)
	case ints["memory"] > MaxMemoryKiB:
		return "", fmt.Errorf("%w: argon2 memory must be at most %d KiB", ErrParams, MaxMemoryKiB)
	case ints["hashLength"] > MaxKeyLength:
		return "", fmt.Errorf("%w: argon2 hashLength must be at most %d bytes", ErrParams, MaxKeyLength)
	}
	p := Params{Memory: uint32(ints["memory"]), Iterations: uint32(c.Iterations),
		Parallelism: uint8(ints["parallelism"]), SaltLength: uint32(len(c.Salt)), KeyLength: uint32(len(key))}
	if err := p.Validate(); err != nil {
		return "", err
	}
	return encodeArgon2(alg, argon2Version, p, c.Salt, key), nil
}

// ToKeycloak converts a stored hash (as Decode reads it) into the
// credential Keycloak exports for it, so that an export of OpenGate's
// users imports into Keycloak, or into OpenGate again, with the same
// passwords: argon2id and argon2i as Keycloak's argon2 provider, PBKDF2 as
// pbkdf2, pbkdf2-sha256 and pbkdf2-sha512, bcrypt as the keycloak-bcrypt
// extension's.
func ToKeycloak(encoded string) (KeycloakCredential, error) {
	d, err := Decode(encoded)
	if err != nil {
		return KeycloakCredential{}, err
	}
	b64std := base64.StdEncoding
	switch d.Algorithm {
	case Argon2id, Argon2i:
		typ := "id"
		if d.Algorithm == Argon2i {
			typ = "i"
		}
		return KeycloakCredential{Algorithm: KeycloakArgon2, Iterations: int(d.Argon2.Iterations), Salt: d.Salt,
			Value: b64std.EncodeToString(d.Key), Parameters: map[string][]string{
				"type": {typ}, "version": {"1.3"}, "hashLength": {strconv.Itoa(len(d.Key))},
				"memory": {strconv.Itoa(int(d.Argon2.Memory))}, "parallelism": {strconv.Itoa(int(d.Argon2.Parallelism))}}}, nil
	case PBKDF2SHA1, PBKDF2SHA256, PBKDF2SHA512:
		alg := map[string]string{PBKDF2SHA1: KeycloakPBKDF2, PBKDF2SHA256: KeycloakPBKDF2SHA256, PBKDF2SHA512: KeycloakPBKDF2SHA512}[d.Algorithm]
		return KeycloakCredential{Algorithm: alg, Iterations: d.Iterations, Salt: d.Salt, Value: b64std.EncodeToString(d.Key)}, nil
	case Bcrypt:
		return KeycloakCredential{Algorithm: KeycloakBcrypt, Iterations: d.Iterations, Value: encoded}, nil
	}
	return KeycloakCredential{}, fmt.Errorf("%w: %q", ErrUnsupported, d.Algorithm)
}

// JSON returns the credential as Keycloak 26 exports it: its secretData
// ({"value":...,"salt":...}) and credentialData ({"hashIterations":...,
// "algorithm":...,"additionalParameters":{...}}) JSON strings, which
// ParseKeycloak reads back.
func (c KeycloakCredential) JSON() (secretData, credentialData string, err error) {
	s, err := json.Marshal(keycloakSecret{Value: c.Value, Salt: base64.StdEncoding.EncodeToString(c.Salt)})
	if err != nil {
		return "", "", err
	}
	params := c.Parameters
	if params == nil {
		params = map[string][]string{}
	}
	d, err := json.Marshal(keycloakData{HashIterations: c.Iterations, Algorithm: c.Algorithm, AdditionalParameters: params})
	if err != nil {
		return "", "", err
	}
	return string(s), string(d), nil
}
