package iamcrypto_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

func hmacSHA256(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}

func TestMACIsKeyedBySubkeyNotTheKey(t *testing.T) {
	key := iamcrypto.GenerateKey()
	m, err := iamcrypto.NewMAC("clients/secret", key)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("s3cret")
	tag := m.Sum(msg)
	if len(tag) != iamcrypto.MACSize {
		t.Fatalf("tag is %d bytes, want %d", len(tag), iamcrypto.MACSize)
	}
	plain := sha256.Sum256(msg)
	for name, other := range map[string][]byte{
		"SHA256OfTheMessage":    plain[:],
		"HMACUnderTheKeyItself": hmacSHA256(key, msg),
		"TagOfAnotherPurpose":   mustMAC(t, "users/other", key).Sum(msg),
		"TagUnderAnotherKey":    mustMAC(t, "clients/secret", iamcrypto.GenerateKey()).Sum(msg),
		"TagOfAnotherMessage":   m.Sum([]byte("s3cret2")),
	} {
		if bytes.Equal(tag, other) {
			t.Errorf("tag equals the %s", name)
		}
	}
	if !bytes.Equal(tag, m.Sum(msg)) {
		t.Fatal("Sum is not deterministic")
	}
	sealer := newSealer(t, key)
	if !bytes.Equal(sealer.MAC("clients/secret").Sum(msg), tag) {
		t.Fatal("Sealer.MAC differs from NewMAC under the same key")
	}
}

func mustMAC(t *testing.T, purpose string, key []byte, previous ...[]byte) *iamcrypto.MAC {
	t.Helper()
	m, err := iamcrypto.NewMAC(purpose, key, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMACVerify(t *testing.T) {
	oldKey, newKey := iamcrypto.GenerateKey(), iamcrypto.GenerateKey()
	old := mustMAC(t, "p", oldKey)
	rotating := mustMAC(t, "p", newKey, oldKey)
	rotatingSealer, err := iamcrypto.NewSealer(newKey, oldKey)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("s3cret")
	tests := []struct {
		name          string
		mac           *iamcrypto.MAC
		msg, tag      []byte
		ok, isCurrent bool
	}{
		{"CurrentKeysTag", rotating, msg, rotating.Sum(msg), true, true},
		{"PreviousKeysTagIsOKButNotCurrent", rotating, msg, old.Sum(msg), true, false},
		{"SealersMACRotatesAlike", rotatingSealer.MAC("p"), msg, old.Sum(msg), true, false},
		{"WrongMessage", rotating, []byte("guess"), rotating.Sum(msg), false, false},
		{"TruncatedTag", rotating, msg, rotating.Sum(msg)[:16], false, false},
		{"EmptyTag", rotating, msg, nil, false, false},
		{"UnknownKeysTag", old, msg, rotating.Sum(msg), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, current := tt.mac.Verify(tt.msg, tt.tag)
			if ok != tt.ok || current != tt.isCurrent {
				t.Fatalf("Verify = %v, %v; want %v, %v", ok, current, tt.ok, tt.isCurrent)
			}
		})
	}
}

func TestNewMACRequires32ByteKeys(t *testing.T) {
	for name, keys := range map[string][][]byte{
		"ShortKey":         {make([]byte, 16)},
		"ShortPreviousKey": {iamcrypto.GenerateKey(), make([]byte, 31)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := iamcrypto.NewMAC("p", keys[0], keys[1:]...)
			if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "key" {
				t.Fatalf("NewMAC = %v, want invalid key", err)
			}
		})
	}
}
