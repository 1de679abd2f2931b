package iamcrypto

import (
	"crypto/hkdf"
	"crypto/sha256"

	"github.com/opengate-iam/opengate/iam"
)

// hkdfSalt separates OpenGate's key derivations from any other use of the
// deployment key (RFC 5869 §3.1: a salt adds strength and independence).
var hkdfSalt = []byte("opengate/iamcrypto/v1")

// Every subkey of OpenGate is HKDF-SHA-256 (RFC 5869) of the deployment key:
// extract with hkdfSalt, then expand with a label naming its use — "opengate
// key "+purpose for DeriveKey's keys (sealing), "opengate mac "+purpose for
// MAC's — so no two uses share a subkey.

// extract is HKDF-Extract of key: the pseudorandom key every subkey of key
// is expanded from.
func extract(op string, key []byte) ([]byte, error) {
	if len(key) != KeySize {
		return nil, invalidKey(op)
	}
	// Cannot fail: HMAC-SHA-256 accepts any key.
	prk, _ := hkdf.Extract(sha256.New, key, hkdfSalt)
	return prk, nil
}

// expand is HKDF-Expand of prk for label: a KeySize-byte subkey.
func expand(prk []byte, label string) []byte {
	// Cannot fail: 32 bytes is far below HKDF-SHA-256's 8160-byte limit.
	k, _ := hkdf.Expand(sha256.New, prk, label, KeySize)
	return k
}

// DeriveKey returns the KeySize-byte subkey of key for purpose (HKDF-SHA-256
// with OpenGate's salt and the info "opengate key "+purpose). Subkeys of one key
// for different purposes are independent: a value sealed under one purpose's
// subkey does not open under another's, nor under key itself, so a
// component given a subkey can open only what was sealed for its purpose.
// key must be KeySize bytes and purpose non-empty (CodeInvalid otherwise).
func DeriveKey(key []byte, purpose string) ([]byte, error) {
	const op = "iamcrypto.DeriveKey"
	if len(key) != KeySize {
		return nil, &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "key", Message: "secret key must be exactly 32 bytes"}
	}
	if purpose == "" {
		return nil, &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "purpose", Message: "a key derivation needs a purpose"}
	}
	prk, err := extract(op, key)
	if err != nil {
		return nil, err
	}
	return expand(prk, "opengate key "+purpose), nil
}

// NewSealerFor returns a Sealer over the purpose subkeys (DeriveKey) of key
// and of the previous keys being rotated away from: NewSealer's rotation
// rules, under keys of their own for purpose. Errors as NewSealer and
// DeriveKey.
func NewSealerFor(purpose string, key []byte, previous ...[]byte) (*Sealer, error) {
	sub, err := DeriveKey(key, purpose)
	if err != nil {
		return nil, err
	}
	prev := make([][]byte, 0, len(previous))
	for _, p := range previous {
		k, err := DeriveKey(p, purpose)
		if err != nil {
			return nil, err
		}
		prev = append(prev, k)
	}
	return NewSealer(sub, prev...)
}
