package iamcrypto

import (
	"crypto/hkdf"
	"crypto/sha256"

	"github.com/opengate-iam/opengate/iam"
)

// DeriveKey returns the KeySize-byte subkey of key for purpose (HKDF-SHA256,
// RFC 5869, with purpose as the info string and no salt). Subkeys of one key
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
	sub, err := hkdf.Key(sha256.New, key, nil, purpose, KeySize)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	return sub, nil
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
