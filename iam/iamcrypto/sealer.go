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
// fresh random nonce per call. During a key rotation a Sealer also holds the
// previous keys: it seals under the current key only and opens values sealed
// under any of its keys, so values written before the rotation stay readable
// and are re-sealed under the current key when they are next written. A
// Sealer is safe for concurrent use.
type Sealer struct {
	aead     cipher.AEAD
	previous []cipher.AEAD
	prks     [][]byte // HKDF pseudorandom keys of the keys, current first (MAC)
}

// NewSealer returns a Sealer that seals under key and opens values sealed
// under key or under any of previous (the keys being rotated away from,
// e.g. OPENGATE_SECRET_KEY_PREVIOUS). Every key must be exactly KeySize
// bytes (CodeInvalid, field "key", otherwise). The keys are not retained
// beyond the ciphers' own schedules and their HKDF pseudorandom keys (from
// which MAC derives its subkeys).
func NewSealer(key []byte, previous ...[]byte) (*Sealer, error) {
	const op = "iamcrypto.NewSealer"
	aead, err := newAEAD(op, key)
	if err != nil {
		return nil, err
	}
	s := &Sealer{aead: aead}
	for _, k := range previous {
		prev, err := newAEAD(op, k)
		if err != nil {
			return nil, err
		}
		s.previous = append(s.previous, prev)
	}
	for _, k := range append([][]byte{key}, previous...) {
		prk, err := extract(op, k)
		if err != nil {
			return nil, err
		}
		s.prks = append(s.prks, prk)
	}
	return s, nil
}

// MAC returns the MAC for purpose under subkeys of the Sealer's keys (the
// same as NewMAC(purpose, key, previous...)): stores given the Sealer use
// it for what they hash rather than seal, under the same deployment key and
// its rotation.
func (s *Sealer) MAC(purpose string) *MAC {
	m := &MAC{}
	for _, prk := range s.prks {
		m.keys = append(m.keys, macKey(prk, purpose))
	}
	return m
}

// newAEAD returns AES-256-GCM under key.
func newAEAD(op string, key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, invalidKey(op)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	return aead, nil
}

// invalidKey is the error for a key of the wrong size.
func invalidKey(op string) error {
	return &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "key", Message: "secret key must be exactly 32 bytes"}
}

// Seal encrypts plaintext under the current key and authenticates it
// together with additionalData, which is not stored: Open must be given the
// same additionalData (use it to bind the value to its owner, e.g.
// "realm/id"). It fails only if the system's random source fails.
func (s *Sealer) Seal(plaintext, additionalData []byte) ([]byte, error) {
	nonceSize := s.aead.NonceSize()
	out := make([]byte, 1+nonceSize, 1+nonceSize+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := rand.Read(out[1 : 1+nonceSize]); err != nil {
		return nil, iam.Wrap("iamcrypto.Seal", err)
	}
	return s.aead.Seal(out, out[1:1+nonceSize], plaintext, additionalData), nil
}

// Open decrypts a value made by Seal under the current key or one of the
// previous keys, with the same additionalData. A truncated, tampered or
// foreign value (other key, other additionalData) is CodeInternal: stored
// secrets that do not open are a deployment fault (a changed
// OPENGATE_SECRET_KEY), never the caller's. The error carries no part of the
// value.
func (s *Sealer) Open(sealed, additionalData []byte) ([]byte, error) {
	return s.open(sealed, additionalData, true)
}

// OpenCurrent is Open with the current key only: it tells a value sealed
// under the current key from one sealed under a previous key (which it
// refuses like a foreign one), e.g. to check which key a database's values
// are sealed with.
func (s *Sealer) OpenCurrent(sealed, additionalData []byte) ([]byte, error) {
	return s.open(sealed, additionalData, false)
}

// Rotating reports whether the Sealer holds previous keys.
func (s *Sealer) Rotating() bool { return len(s.previous) > 0 }

// open decrypts sealed with the current key and, with previous, the
// previous keys.
func (s *Sealer) open(sealed, additionalData []byte, previous bool) ([]byte, error) {
	const op = "iamcrypto.Open"
	nonceSize := s.aead.NonceSize() // the same for every key: AES-GCM
	if len(sealed) < 1+nonceSize+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "sealed value is malformed"}
	}
	nonce, ciphertext := sealed[1:1+nonceSize], sealed[1+nonceSize:]
	if plain, err := s.aead.Open(nil, nonce, ciphertext, additionalData); err == nil {
		return plain, nil
	}
	if previous {
		for _, prev := range s.previous {
			if plain, err := prev.Open(nil, nonce, ciphertext, additionalData); err == nil {
				return plain, nil
			}
		}
	}
	return nil, &iam.Error{Code: iam.CodeInternal, Op: op,
		Message: "sealed value does not open with this key (was OPENGATE_SECRET_KEY changed?)"}
}

// Required is the check every store that keeps secrets at rest makes when
// it is constructed: nil if s is set, else CodeInvalid (field "sealer")
// naming what sealed (e.g. "client secrets") would protect. A store never
// falls back to keeping secrets in clear, nor to a random key that would
// make them unreadable after a restart.
func Required(s *Sealer, sealed string) error {
	if s != nil {
		return nil
	}
	return &iam.Error{Code: iam.CodeInvalid, Op: "iamcrypto.Required", Field: "sealer",
		Message: "a sealer is required: " + sealed + " are sealed at rest under the deployment key (OPENGATE_SECRET_KEY)"}
}
