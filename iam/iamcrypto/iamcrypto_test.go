package iamcrypto_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

func newSealer(t *testing.T, key []byte) *iamcrypto.Sealer {
	t.Helper()
	s, err := iamcrypto.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := newSealer(t, iamcrypto.GenerateKey())
	sealed, err := s.Seal([]byte("s3cret"), []byte("acme/c1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("s3cret")) {
		t.Fatal("sealed value contains the plaintext")
	}
	plain, err := s.Open(sealed, []byte("acme/c1"))
	if err != nil || string(plain) != "s3cret" {
		t.Fatalf("Open = %q, %v", plain, err)
	}
	again, _ := s.Seal([]byte("s3cret"), []byte("acme/c1"))
	if bytes.Equal(again, sealed) {
		t.Fatal("two seals of the same plaintext are equal: nonce reused")
	}
}

func TestOpenRejects(t *testing.T) {
	key := iamcrypto.GenerateKey()
	s := newSealer(t, key)
	sealed, err := s.Seal([]byte("s3cret"), []byte("acme/c1"))
	if err != nil {
		t.Fatal(err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	tests := []struct {
		name   string
		sealer *iamcrypto.Sealer
		value  []byte
		ad     string
	}{
		{"OtherAdditionalData", s, sealed, "other/c1"},
		{"OtherKey", newSealer(t, iamcrypto.GenerateKey()), sealed, "acme/c1"},
		{"TamperedCiphertext", s, tampered, "acme/c1"},
		{"Truncated", s, sealed[:10], "acme/c1"},
		{"Empty", s, nil, "acme/c1"},
		{"UnknownVersion", s, append([]byte{9}, sealed[1:]...), "acme/c1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plain, err := tt.sealer.Open(tt.value, []byte(tt.ad))
			if err == nil || plain != nil {
				t.Fatalf("Open = %q, %v; want an error", plain, err)
			}
			if iam.ErrorCode(err) != iam.CodeInternal || strings.Contains(err.Error(), "s3cret") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}

func TestNewSealerRequires32Bytes(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := iamcrypto.NewSealer(make([]byte, n)); iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "key" {
			t.Fatalf("NewSealer(%d bytes) err = %v", n, err)
		}
	}
}

func TestParseKey(t *testing.T) {
	key := iamcrypto.GenerateKey()
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"Hex", hex.EncodeToString(key), true},
		{"UpperHex", strings.ToUpper(hex.EncodeToString(key)), true},
		{"Base64", base64.StdEncoding.EncodeToString(key), true},
		{"RawBase64", base64.RawStdEncoding.EncodeToString(key), true},
		{"Base64URL", base64.URLEncoding.EncodeToString(key), true},
		{"EncodeKeyOutput", iamcrypto.EncodeKey(key), true},
		{"SurroundingSpace", " " + iamcrypto.EncodeKey(key) + "\n", true},
		{"Empty", "", false},
		{"ShortBase64", base64.StdEncoding.EncodeToString(key[:16]), false},
		{"LongBase64", base64.StdEncoding.EncodeToString(append(key, 1)), false},
		{"ShortHex", hex.EncodeToString(key[:31]), false},
		{"Garbage", "not a key!", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := iamcrypto.ParseKey(tt.in)
			if !tt.ok {
				if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "key" {
					t.Fatalf("err = %v, want invalid key", err)
				}
				if tt.in != "" && strings.Contains(iam.ErrorMessage(err), tt.in) {
					t.Fatal("error repeats the key")
				}
				return
			}
			if err != nil || !bytes.Equal(got, key) {
				t.Fatalf("ParseKey = %x, %v; want %x", got, err, key)
			}
		})
	}
}

func TestRandomToken(t *testing.T) {
	a, b := iamcrypto.RandomToken(32), iamcrypto.RandomToken(32)
	if a == b {
		t.Fatal("tokens repeat")
	}
	raw, err := base64.RawURLEncoding.DecodeString(a)
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q decodes to %d bytes, %v", a, len(raw), err)
	}
	if raw, _ := base64.RawURLEncoding.DecodeString(iamcrypto.RandomToken(4)); len(raw) != 16 {
		t.Fatalf("short token has %d bytes, want the 16-byte floor", len(raw))
	}
}

func TestSHA256(t *testing.T) {
	want := sha256.Sum256([]byte("abc"))
	if !bytes.Equal(iamcrypto.SHA256("abc"), want[:]) {
		t.Fatal("digest mismatch")
	}
}

func TestSealerRotation(t *testing.T) {
	oldKey, newKey := iamcrypto.GenerateKey(), iamcrypto.GenerateKey()
	before := newSealer(t, oldKey)
	sealedBefore, err := before.Seal([]byte("s3cret"), []byte("acme/c1"))
	if err != nil {
		t.Fatal(err)
	}
	rotating, err := iamcrypto.NewSealer(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OpensValuesSealedUnderThePreviousKey", func(t *testing.T) {
		plain, err := rotating.Open(sealedBefore, []byte("acme/c1"))
		if err != nil || string(plain) != "s3cret" {
			t.Fatalf("Open = %q, %v", plain, err)
		}
	})
	t.Run("SealsUnderTheCurrentKeyOnly", func(t *testing.T) {
		sealed, err := rotating.Seal([]byte("s3cret"), []byte("acme/c1"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := before.Open(sealed, []byte("acme/c1")); err == nil {
			t.Fatal("the previous key opens a value sealed during the rotation")
		}
		if plain, err := newSealer(t, newKey).Open(sealed, []byte("acme/c1")); err != nil || string(plain) != "s3cret" {
			t.Fatalf("the new key alone: Open = %q, %v", plain, err)
		}
	})
	t.Run("OpenCurrentRefusesThePreviousKey", func(t *testing.T) {
		if _, err := rotating.OpenCurrent(sealedBefore, []byte("acme/c1")); iam.ErrorCode(err) != iam.CodeInternal {
			t.Fatalf("OpenCurrent err = %v", err)
		}
	})
	t.Run("StillBindsTheAdditionalData", func(t *testing.T) {
		if _, err := rotating.Open(sealedBefore, []byte("other/c1")); err == nil {
			t.Fatal("opened with other additional data")
		}
	})
	t.Run("ForeignKeyStillRefused", func(t *testing.T) {
		foreign, _ := newSealer(t, iamcrypto.GenerateKey()).Seal([]byte("x"), []byte("acme/c1"))
		if _, err := rotating.Open(foreign, []byte("acme/c1")); iam.ErrorCode(err) != iam.CodeInternal {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("PreviousKeyMustBe32Bytes", func(t *testing.T) {
		if _, err := iamcrypto.NewSealer(newKey, oldKey[:16]); iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "key" {
			t.Fatalf("err = %v", err)
		}
	})
	if !rotating.Rotating() || before.Rotating() {
		t.Fatal("Rotating does not say whether previous keys are held")
	}
}

func TestRequiredRefusesANilSealer(t *testing.T) {
	err := iamcrypto.Required(nil, "client secrets")
	if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "sealer" ||
		!strings.Contains(iam.ErrorMessage(err), "client secrets") {
		t.Fatalf("Required(nil) = %v", err)
	}
	s, err := iamcrypto.NewSealer(iamcrypto.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	if err := iamcrypto.Required(s, "client secrets"); err != nil {
		t.Fatalf("Required(sealer) = %v", err)
	}
}

func TestDeriveKey(t *testing.T) {
	key := iamcrypto.GenerateKey()
	a, err := iamcrypto.DeriveKey(key, "action links")
	if err != nil || len(a) != iamcrypto.KeySize {
		t.Fatalf("DeriveKey = %x, %v", a, err)
	}
	t.Run("IsDeterministic", func(t *testing.T) {
		again, _ := iamcrypto.DeriveKey(key, "action links")
		if !bytes.Equal(a, again) {
			t.Fatal("two derivations of one purpose differ")
		}
	})
	t.Run("PurposesAndKeysGiveDifferentSubkeys", func(t *testing.T) {
		other, _ := iamcrypto.DeriveKey(key, "other purpose")
		foreign, _ := iamcrypto.DeriveKey(iamcrypto.GenerateKey(), "action links")
		if bytes.Equal(a, other) || bytes.Equal(a, foreign) || bytes.Equal(a, key) {
			t.Fatal("subkeys collide")
		}
	})
	t.Run("KnownAnswer", func(t *testing.T) {
		// HKDF-SHA256 (RFC 5869: salt "opengate/iamcrypto/v1", info
		// "opengate key opengate test") of the key 00..1f, computed
		// independently (Python's hmac): values sealed by one version must
		// open in the next.
		fixed, _ := iamcrypto.ParseKey("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f")
		got, _ := iamcrypto.DeriveKey(fixed, "opengate test")
		if want := "be95c8452a39a4ae2c53cc7f9f7342c7cd16ddda9ee7fa700fe9ad5272659518"; hex.EncodeToString(got) != want {
			t.Fatalf("DeriveKey = %x, want %s", got, want)
		}
	})
	for _, tt := range []struct {
		name    string
		key     []byte
		purpose string
		field   string
	}{
		{"ShortKey", key[:16], "p", "key"},
		{"NoPurpose", key, "", "purpose"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := iamcrypto.DeriveKey(tt.key, tt.purpose)
			if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != tt.field {
				t.Fatalf("err = %v, want invalid %s", err, tt.field)
			}
		})
	}
}

func TestNewSealerFor(t *testing.T) {
	key, old := iamcrypto.GenerateKey(), iamcrypto.GenerateKey()
	links, err := iamcrypto.NewSealerFor("action links", key, old)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := links.Seal([]byte("token"), []byte("event-1"))
	if err != nil {
		t.Fatal(err)
	}
	t.Run("TheDeploymentKeyItselfDoesNotOpen", func(t *testing.T) {
		if _, err := newSealer(t, key).Open(sealed, []byte("event-1")); err == nil {
			t.Fatal("the whole deployment key opens a purpose's value")
		}
	})
	t.Run("AnotherPurposeDoesNotOpen", func(t *testing.T) {
		other, _ := iamcrypto.NewSealerFor("other", key)
		if _, err := other.Open(sealed, []byte("event-1")); err == nil {
			t.Fatal("another purpose opens the value")
		}
	})
	t.Run("TheSamePurposeOpens", func(t *testing.T) {
		same, _ := iamcrypto.NewSealerFor("action links", key)
		if plain, err := same.Open(sealed, []byte("event-1")); err != nil || string(plain) != "token" {
			t.Fatalf("Open = %q, %v", plain, err)
		}
	})
	t.Run("PreviousKeysAreDerivedToo", func(t *testing.T) {
		before, _ := iamcrypto.NewSealerFor("action links", old)
		v, _ := before.Seal([]byte("token"), []byte("event-2"))
		if plain, err := links.Open(v, []byte("event-2")); err != nil || string(plain) != "token" {
			t.Fatalf("Open = %q, %v", plain, err)
		}
	})
	if _, err := iamcrypto.NewSealerFor("action links", key, old[:5]); iam.ErrorCode(err) != iam.CodeInvalid {
		t.Fatalf("short previous key: %v", err)
	}
}
