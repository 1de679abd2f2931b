package iamcrypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"

	"github.com/opengate-iam/opengate/iam"
)

// KeySize is the size in bytes of the deployment key: AES-256.
const KeySize = 32

// sealVersion is the first byte of every sealed value, so that the format (or
// the key) can change later without ambiguity.
const sealVersion byte = 1

// Sealer encrypts and authenticates small secrets with AES-256-GCM under one
// key. Sealed values are version(1) || nonce(12) || ciphertext+tag(16), a
// fresh random nonce per call. A Sealer is safe for concurrent use.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for key, which must be exactly KeySize bytes
// (CodeInvalid, field "key", otherwise). The key is not retained beyond the
// cipher's own schedule.
func NewSealer(key []byte) (*Sealer, error) {
	const op = "iamcrypto.NewSealer"
	if len(key) != KeySize {
		return nil, &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "key",
			Message: "secret key must be exactly 32 bytes"}
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext and authenticates it together with additionalData,
// which is not stored: Open must be given the same additionalData (use it to
// bind the value to its owner, e.g. "realm/id"). It fails only if the system's
// random source fails.
func (s *Sealer) Seal(plaintext, additionalData []byte) ([]byte, error) {
	nonceSize := s.aead.NonceSize()
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, iam.Wrap("iamcrypto.Seal", err)
	}
	return s.aead.Seal(out, out[1:1+nonceSize], plaintext, additionalData), nil
}

// Open decrypts a value made by Seal with the same key and additionalData.
// A truncated, tampered or foreign value (other key, other additionalData) is
// CodeInternal: stored secrets that do not open are a deployment fault (a
// changed OPENGATE_SECRET_KEY), never the caller's. The error carries no part
// of the value.
func (s *Sealer) Open(sealed, additionalData []byte) ([]byte, error) {
	const op = "iamcrypto.Open"
	nonceSize := s.aead.NonceSize()
	if len(sealed) < 1+nonceSize+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "sealed value is malformed"}
	}
	plain, err := s.aead.Open(nil, sealed[1:1+nonceSize], sealed[1+nonceSize:], additionalData)
	if err != nil {
		return nil, &iam.Error{Code: iam.CodeInternal, Op: op,
			Message: "sealed value does not open with this key (was OPENGATE_SECRET_KEY changed?)"}
	}
	return plain, nil
}
