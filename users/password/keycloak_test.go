package password_test

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/pbkdf2"

	"github.com/opengate-iam/opengate/users/password"
)

// keycloakJSON renders a credential the way Keycloak 26 exports it: the
// secretData and credentialData JSON strings, with base64 (padded, standard
// alphabet) salt and value.
func keycloakJSON(t *testing.T, alg string, iterations int, salt, value []byte, params map[string][]string) (string, string) {
	t.Helper()
	if params == nil {
		params = map[string][]string{}
	}
	v := base64.StdEncoding.EncodeToString(value)
	if alg == password.KeycloakBcrypt {
		v = string(value)
	}
	secret, err := json.Marshal(map[string]any{"value": v, "salt": base64.StdEncoding.EncodeToString(salt),
		"additionalParameters": map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(map[string]any{"hashIterations": iterations, "algorithm": alg, "additionalParameters": params})
	if err != nil {
		t.Fatal(err)
	}
	return string(secret), string(data)
}

// TestKeycloakImportVerifies derives each Keycloak hash with the raw
// primitives of golang.org/x/crypto exactly as Keycloak's providers do
// (PBKDF2WithHmacSHA*: PBEKeySpec over the UTF-8 password, key size from the
// stored value; Argon2 via BouncyCastle with the additionalParameters; bcrypt
// modular-crypt strings from the keycloak-bcrypt extension), then checks that
// the imported credential verifies the password and nothing else.
func TestKeycloakImportVerifies(t *testing.T) {
	const pw = "Sommer2024!ü"
	salt := []byte("0123456789abcdef")
	pb := func(h func() hash.Hash, iter, bits int) []byte { return pbkdf2.Key([]byte(pw), salt, iter, bits/8, h) }
	bc, err := bcrypt.GenerateFromPassword([]byte(pw), 4)
	if err != nil {
		t.Fatal(err)
	}
	argonParams := map[string][]string{"hashLength": {"32"}, "memory": {"7168"}, "type": {"id"},
		"version": {"1.3"}, "parallelism": {"1"}}
	argonIParams := map[string][]string{"hashLength": {"24"}, "memory": {"256"}, "type": {"i"},
		"version": {"1.3"}, "parallelism": {"2"}}
	tests := []struct {
		name       string
		alg        string
		iterations int
		salt       []byte
		value      []byte
		params     map[string][]string
	}{
		{"PBKDF2SHA256Keycloak24", password.KeycloakPBKDF2SHA256, 600_000 / 100, salt, pb(sha256.New, 6000, 256), nil},
		{"PBKDF2SHA256Before24", password.KeycloakPBKDF2SHA256, 27500, salt, pb(sha256.New, 27500, 512), nil},
		{"PBKDF2SHA512", password.KeycloakPBKDF2SHA512, 2100, salt, pb(sha512.New, 2100, 512), nil},
		{"PBKDF2SHA1", password.KeycloakPBKDF2, 1300, salt, pb(sha1.New, 1300, 512), nil},
		{"Argon2idKeycloakDefaults", password.KeycloakArgon2, 5, salt, argon2.IDKey([]byte(pw), salt, 5, 7168, 1, 32), argonParams},
		{"Argon2idMissingParametersUseKeycloakDefaults", password.KeycloakArgon2, 5, salt, argon2.IDKey([]byte(pw), salt, 5, 7168, 1, 32), nil},
		{"Argon2i", password.KeycloakArgon2, 2, salt, argon2.Key([]byte(pw), salt, 2, 256, 2, 24), argonIParams},
		{"Bcrypt", password.KeycloakBcrypt, 4, nil, bc, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, data := keycloakJSON(t, tt.alg, tt.iterations, tt.salt, tt.value, tt.params)
			kc, err := password.ParseKeycloak(secret, data)
			if err != nil {
				t.Fatal(err)
			}
			encoded, err := kc.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := password.Verify(encoded, pw); !ok || err != nil {
				t.Fatalf("Verify(right) = %v, %v (encoded %s)", ok, err, encoded)
			}
			for _, wrong := range []string{"Sommer2024!u", "sommer2024!ü", ""} {
				if ok, err := password.Verify(encoded, wrong); ok || err != nil {
					t.Fatalf("Verify(%q) = %v, %v", wrong, ok, err)
				}
			}
			if !password.NeedsRehash(encoded, password.DefaultParams()) {
				t.Fatal("an imported hash must be re-hashed to argon2id at current parameters")
			}
		})
	}
}

// TestKeycloakLegacyRepresentation covers the pre-Keycloak-12 form:
// hashedSaltedValue, salt (both base64) and hashIterations beside algorithm.
func TestKeycloakLegacyRepresentation(t *testing.T) {
	salt := []byte("legacy-salt")
	value := pbkdf2.Key([]byte("hunter22"), salt, 27500, 64, sha256.New)
	kcSalt, err := password.DecodeKeycloakBase64(base64.StdEncoding.EncodeToString(salt))
	if err != nil {
		t.Fatal(err)
	}
	kc := password.KeycloakCredential{Algorithm: "pbkdf2-sha256", Iterations: 27500, Salt: kcSalt,
		Value: base64.StdEncoding.EncodeToString(value)}
	encoded, err := kc.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := password.Verify(encoded, "hunter22"); !ok {
		t.Fatal("legacy credential does not verify")
	}
}

// TestKeycloakPaddedHashesVerify: Keycloak's max-padding-length option (FIPS
// mode) pads short passwords with NUL characters before PBKDF2. HMAC pads its
// key with zeros, so such a hash verifies with the unpadded password.
func TestKeycloakPaddedHashesVerify(t *testing.T) {
	salt := []byte("fips-salt-123456")
	padded := "short" + strings.Repeat("\x00", 14-len("short"))
	secret, data := keycloakJSON(t, password.KeycloakPBKDF2SHA512, 1000, salt,
		pbkdf2.Key([]byte(padded), salt, 1000, 64, sha512.New), nil)
	kc, err := password.ParseKeycloak(secret, data)
	if err != nil {
		t.Fatal(err)
	}
	encoded, err := kc.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := password.Verify(encoded, "short"); !ok {
		t.Fatal("padded hash does not verify")
	}
}

func TestKeycloakImportRejects(t *testing.T) {
	salt := []byte("0123456789abcdef")
	key := make([]byte, 32)
	tests := []struct {
		name   string
		alg    string
		iter   int
		value  []byte
		params map[string][]string
		want   error
	}{
		{"UnknownAlgorithm", "md5", 1, key, nil, password.ErrUnsupported},
		{"Argon2d", password.KeycloakArgon2, 3, key, map[string][]string{"type": {"d"}}, password.ErrUnsupported},
		{"Argon2Version10", password.KeycloakArgon2, 3, key, map[string][]string{"version": {"1.0"}}, password.ErrUnsupported},
		{"Argon2LengthMismatch", password.KeycloakArgon2, 3, key, map[string][]string{"hashLength": {"64"}}, password.ErrMalformed},
		{"Argon2NonNumericMemory", password.KeycloakArgon2, 3, key, map[string][]string{"memory": {"lots"}}, password.ErrMalformed},
		{"Argon2HugeIterations", password.KeycloakArgon2, 1 << 40, key, nil, password.ErrParams},
		{"Argon2HugeMemory", password.KeycloakArgon2, 3, key, map[string][]string{"memory": {"99999999999"}}, password.ErrParams},
		{"PBKDF2ZeroIterations", password.KeycloakPBKDF2SHA256, 0, key, nil, password.ErrParams},
		{"PBKDF2HugeIterations", password.KeycloakPBKDF2SHA256, 1 << 40, key, nil, password.ErrParams},
		{"BcryptNotModularCrypt", password.KeycloakBcrypt, 10, []byte("not-a-bcrypt-hash"), nil, password.ErrMalformed},
		// The review's imports: each beyond the package's cost bounds.
		{"PBKDF2TenMillionIterations", password.KeycloakPBKDF2SHA512, 10_000_000, key, nil, password.ErrParams},
		{"PBKDF2JustAboveTheBound", password.KeycloakPBKDF2, password.MaxPBKDF2Iterations + 1, key, nil, password.ErrParams},
		{"Argon2OneGiB", password.KeycloakArgon2, 3, key, map[string][]string{"memory": {"1048576"}}, password.ErrParams},
		{"Argon2MemoryTimesIterations", password.KeycloakArgon2, 5, key, map[string][]string{"memory": {"65536"}}, password.ErrParams},
		{"Argon2ManyLanes", password.KeycloakArgon2, 3, key, map[string][]string{"parallelism": {"16"}}, password.ErrParams},
		{"BcryptCost31", password.KeycloakBcrypt, 31, []byte("$2a$31$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe"), nil, password.ErrParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, data := keycloakJSON(t, tt.alg, tt.iter, salt, tt.value, tt.params)
			kc, err := password.ParseKeycloak(secret, data)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := kc.Encode(); !errors.Is(err, tt.want) {
				t.Fatalf("Encode err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("MalformedJSONDoesNotEchoSecret", func(t *testing.T) {
		_, err := password.ParseKeycloak(`{"value":"s3cr3t-value"`, `{}`)
		if !errors.Is(err, password.ErrMalformed) || strings.Contains(err.Error(), "s3cr3t") {
			t.Fatalf("err = %v", err)
		}
		_, err = password.ParseKeycloak(`{"value":"x","salt":"%%%"}`, `{}`)
		if !errors.Is(err, password.ErrMalformed) {
			t.Fatalf("bad salt err = %v", err)
		}
	})
}

// What ToKeycloak exports, ParseKeycloak and Encode read back into a hash
// that verifies the same password.
func TestToKeycloakRoundTrips(t *testing.T) {
	fast := password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	argon, err := password.Hash("s3cret-pw", fast)
	if err != nil {
		t.Fatal(err)
	}
	for name, encoded := range map[string]string{
		"Argon2id":     argon,
		"PBKDF2SHA256": "$pbkdf2-sha256$i=27500$c2FsdHNhbHRzYWx0$" + strings.Repeat("A", 43),
	} {
		t.Run(name, func(t *testing.T) {
			kc, err := password.ToKeycloak(encoded)
			if err != nil {
				t.Fatal(err)
			}
			secretData, credentialData, err := kc.JSON()
			if err != nil {
				t.Fatal(err)
			}
			back, err := password.ParseKeycloak(secretData, credentialData)
			if err != nil {
				t.Fatal(err)
			}
			again, err := back.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if again != encoded {
				t.Fatalf("round trip = %q, want %q", again, encoded)
			}
		})
	}
	if ok, err := password.Verify(argon, "s3cret-pw"); !ok || err != nil {
		t.Fatalf("verify: %v %v", ok, err)
	}
}
