package password_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/opengate-iam/opengate/users/password"
)

// fast are cheap argon2id parameters so the tests stay quick.
var fast = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func TestHash(t *testing.T) {
	t.Run("VerifiesTheRightPasswordOnly", func(t *testing.T) {
		h, err := password.Hash("correct horse", fast)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := password.Verify(h, "correct horse"); !ok || err != nil {
			t.Fatalf("Verify(right) = %v, %v", ok, err)
		}
		for _, wrong := range []string{"correct hors", "correct horse ", "Correct horse", ""} {
			if ok, err := password.Verify(h, wrong); ok || err != nil {
				t.Fatalf("Verify(%q) = %v, %v", wrong, ok, err)
			}
		}
	})
	t.Run("IsPHCArgon2idWithTheGivenParameters", func(t *testing.T) {
		h, err := password.Hash("pw", password.Params{Memory: 128, Iterations: 3, Parallelism: 2, SaltLength: 16, KeyLength: 32})
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(h, "$")
		if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != "v=19" || parts[3] != "m=128,t=3,p=2" {
			t.Fatalf("hash = %q", h)
		}
		// Recompute the key with the raw primitive from the encoded salt.
		salt, err := base64.RawStdEncoding.DecodeString(parts[4])
		if err != nil || len(salt) != 16 {
			t.Fatalf("salt %q: %v", parts[4], err)
		}
		want := argon2.IDKey([]byte("pw"), salt, 3, 128, 2, 32)
		if parts[5] != base64.RawStdEncoding.EncodeToString(want) {
			t.Fatalf("key does not match argon2.IDKey")
		}
	})
	t.Run("SaltsAreRandom", func(t *testing.T) {
		a, _ := password.Hash("same", fast)
		b, _ := password.Hash("same", fast)
		if a == b {
			t.Fatal("two hashes of one password are equal")
		}
	})
	t.Run("DefaultParamsAreOWASP", func(t *testing.T) {
		p := password.DefaultParams()
		if p.Memory != 19456 || p.Iterations != 2 || p.Parallelism != 1 || p.KeyLength != 32 || p.SaltLength != 16 {
			t.Fatalf("defaults = %+v", p)
		}
	})
	t.Run("RejectsBadParams", func(t *testing.T) {
		for _, p := range []password.Params{
			{Memory: 64, Iterations: 0, Parallelism: 1, SaltLength: 16, KeyLength: 32},
			{Memory: 4, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32},
			{Memory: 64, Iterations: 1, Parallelism: 0, SaltLength: 16, KeyLength: 32},
			{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 0, KeyLength: 32},
			{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 4},
			{Memory: password.MaxMemoryKiB + 1, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		} {
			if _, err := password.Hash("x", p); !errors.Is(err, password.ErrParams) {
				t.Errorf("Hash with %+v: err = %v", p, err)
			}
		}
	})
}

// TestPublishedVectors anchors the verifiers to vectors published by others:
// the Argon2 reference implementation's CLI ("password"/"somesalt", as in
// golang.org/x/crypto's tests), RFC 6070 (PBKDF2-HMAC-SHA1), RFC 7914 §11
// (PBKDF2-HMAC-SHA256) and the widely cited PBKDF2-HMAC-SHA512 vector.
func TestPublishedVectors(t *testing.T) {
	b := func(s string) string { return base64.RawStdEncoding.EncodeToString([]byte(s)) }
	h := func(s string) string {
		raw, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawStdEncoding.EncodeToString(raw)
	}
	tests := []struct {
		name, encoded, password string
	}{
		{"Argon2idReferenceCLI", "$argon2id$v=19$m=64,t=2,p=1$" + b("somesalt") + "$" + h("068d62b26455936aa6ebe60060b0a65870dbfa3ddf8d41f7"), "password"},
		{"Argon2idReferenceCLIFourLanes", "$argon2id$v=19$m=4096,t=4,p=4$" + b("somesalt") + "$" + h("145db9733a9f4ee43edf33c509be96b934d505a4efb33c5a"), "password"},
		{"Argon2iReferenceCLI", "$argon2i$v=19$m=64,t=2,p=1$" + b("somesalt") + "$" + h("8cf3d8f76a6617afe35fac48eb0b7433a9a670ca4a07ed64"), "password"},
		{"RFC6070Iterations4096", "$pbkdf2-sha1$i=4096$" + b("salt") + "$" + h("4b007901b765489abead49d926f721d065a429c1"), "password"},
		{"RFC6070LongInputs", "$pbkdf2-sha1$i=4096$" + b("saltSALTsaltSALTsaltSALTsaltSALTsalt") + "$" + h("3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"), "passwordPASSWORDpassword"},
		{"RFC7914SHA256", "$pbkdf2-sha256$i=1$" + b("salt") + "$" + h("55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783"), "passwd"},
		{"RFC7914SHA256Iterations80000", "$pbkdf2-sha256$i=80000$" + b("NaCl") + "$" + h("4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d"), "Password"},
		{"SHA512", "$pbkdf2-sha512$i=1$" + b("salt") + "$" + h("867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce"), "password"},
		// The example of OpenBSD's bcrypt test suite.
		{"BcryptOpenBSD", "$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe", "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ok, err := password.Verify(tt.encoded, tt.password); !ok || err != nil {
				t.Fatalf("Verify(right) = %v, %v", ok, err)
			}
			if ok, err := password.Verify(tt.encoded, tt.password+"x"); ok || err != nil {
				t.Fatalf("Verify(wrong) = %v, %v", ok, err)
			}
		})
	}
}

func TestNeedsRehash(t *testing.T) {
	cur := password.Params{Memory: 128, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	mk := func(p password.Params) string {
		h, err := password.Hash("pw", p)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	lower := func(f func(*password.Params)) password.Params { p := cur; f(&p); return p }
	tests := []struct {
		name    string
		encoded string
		want    bool
	}{
		{"CurrentParamsDoNot", mk(cur), false},
		{"StrongerParamsDoNot", mk(lower(func(p *password.Params) { p.Memory = 256; p.Iterations = 3 })), false},
		{"LessMemoryDoes", mk(lower(func(p *password.Params) { p.Memory = 64 })), true},
		{"FewerIterationsDo", mk(lower(func(p *password.Params) { p.Iterations = 1 })), true},
		{"ShorterKeyDoes", mk(lower(func(p *password.Params) { p.KeyLength = 16 })), true},
		{"PBKDF2Does", "$pbkdf2-sha256$i=1$c2FsdA$VawEblbjCJ/sFpHCJUS2BflBhSFt3gRl5oudV8INrLxJypzM8Xm2RZkWZLOdd+8xfHG4RbHjC9UJESBB06GXgw", true},
		{"BcryptDoes", "$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe", true},
		{"GarbageDoes", "nonsense", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := password.NeedsRehash(tt.encoded, cur); got != tt.want {
				t.Fatalf("NeedsRehash = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	salt, key := "c29tZXNhbHQ", "BojRstfUZCgEEJ8lMcBs6ZY6PepEAgXo"
	tests := []struct {
		name    string
		encoded string
		want    error
	}{
		{"Empty", "", password.ErrMalformed},
		{"NotPHC", "plaintext", password.ErrMalformed},
		{"UnknownAlgorithm", "$scrypt$ln=15,r=8,p=1$" + salt + "$" + key, password.ErrUnsupported},
		{"Argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key, password.ErrUnsupported},
		{"Argon2Version10", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key, password.ErrUnsupported},
		{"MissingField", "$argon2id$v=19$m=64,t=1,p=1$" + salt, password.ErrMalformed},
		{"ParamsOutOfOrder", "$argon2id$v=19$t=1,m=64,p=1$" + salt + "$" + key, password.ErrMalformed},
		{"NegativeParam", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key, password.ErrMalformed},
		{"BadBase64", "$argon2id$v=19$m=64,t=1,p=1$!!$" + key, password.ErrMalformed},
		{"HugeMemory", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key, password.ErrParams},
		{"HugeIterations", "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key, password.ErrParams},
		{"HugeParallelism", "$argon2id$v=19$m=100000,t=1,p=300$" + salt + "$" + key, password.ErrParams},
		{"HugePBKDF2Iterations", "$pbkdf2-sha256$i=4000000000$" + salt + "$" + key, password.ErrParams},
		{"ZeroPBKDF2Iterations", "$pbkdf2-sha256$i=0$" + salt + "$" + key, password.ErrParams},
		{"ShortKey", "$pbkdf2-sha256$i=10$" + salt + "$AAAA", password.ErrParams},
		{"TruncatedBcrypt", "$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VY", password.ErrMalformed},
		{"BcryptBadCost", "$2a$99$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe", password.ErrMalformed},
		// The review's costs: 1 GiB, 10 million iterations, bcrypt's maximum.
		{"ArgonOneGiB", "$argon2id$v=19$m=1048576,t=3,p=1$" + salt + "$" + key, password.ErrParams},
		{"ArgonMemoryTimesIterations", "$argon2id$v=19$m=65536,t=5,p=1$" + salt + "$" + key, password.ErrParams},
		{"ArgonElevenIterations", "$argon2id$v=19$m=8192,t=11,p=1$" + salt + "$" + key, password.ErrParams},
		{"ArgonSixteenLanes", "$argon2id$v=19$m=8192,t=1,p=16$" + salt + "$" + key, password.ErrParams},
		{"PBKDF2TenMillion", "$pbkdf2-sha512$i=10000000$" + salt + "$" + key, password.ErrParams},
		{"BcryptCost15", "$2a$15$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe", password.ErrParams},
		{"BcryptCost31", "$2a$31$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe", password.ErrParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := password.Verify(tt.encoded, "password")
			if ok || !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %v, %v; want %v", ok, err, tt.want)
			}
		})
	}
}

// TestDecodeAcceptsTheBounds checks that each bound is inclusive: a hash at
// the maximum cost decodes (and would verify), one step beyond does not
// (TestDecodeRejects).
func TestDecodeAcceptsTheBounds(t *testing.T) {
	salt, key := "c29tZXNhbHQ", "BojRstfUZCgEEJ8lMcBs6ZY6PepEAgXo"
	for _, encoded := range []string{
		fmt.Sprintf("$argon2id$v=19$m=%d,t=4,p=1$%s$%s", password.MaxMemoryKiB, salt, key),
		fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", password.MaxArgon2MemoryPasses/password.MaxArgon2Iterations,
			password.MaxArgon2Iterations, password.MaxParallelism, salt, key),
		fmt.Sprintf("$pbkdf2-sha256$i=%d$%s$%s", password.MaxPBKDF2Iterations, salt, key),
		fmt.Sprintf("$2a$%d$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe", password.MaxBcryptCost),
	} {
		if _, err := password.Decode(encoded); err != nil {
			t.Errorf("Decode(%s) = %v", encoded, err)
		}
	}
}

func BenchmarkHashDefault(b *testing.B) {
	p := password.DefaultParams()
	for b.Loop() {
		if _, err := password.Hash("correct horse battery staple", p); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	h, err := password.Hash("correct horse battery staple", password.DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _ := password.Verify(h, "correct horse battery staple"); !ok {
			b.Fatal("no match")
		}
	}
}
