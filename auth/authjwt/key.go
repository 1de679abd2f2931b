package authjwt

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"math/big"
)

// The signing algorithms of OpenGate tokens.
const (
	RS256 = "RS256"
	ES256 = "ES256"
	EdDSA = "EdDSA"
)

// MinRSABits is the smallest RSA modulus a verification key may have.
const MinRSABits = 2048

// Key is a public key of a realm's key set, pinned to one algorithm.
type Key struct {
	ID        string // kid
	Algorithm string // RS256, ES256 or EdDSA
	// Public is an *rsa.PublicKey, *ecdsa.PublicKey (P-256) or
	// ed25519.PublicKey matching Algorithm.
	Public crypto.PublicKey
}

// Check reports whether k is usable under the policy: a kid, one of the
// three algorithms, and a public key of that algorithm's type (RSA of at
// least MinRSABits, ECDSA on P-256, Ed25519). A key set keeps only keys that
// pass.
func (k Key) Check() error {
	if k.ID == "" {
		return errors.New("authjwt: key has no kid")
	}
	switch k.Algorithm {
	case RS256:
		if p, ok := k.Public.(*rsa.PublicKey); ok && p.N != nil && p.N.BitLen() >= MinRSABits {
			return nil
		}
	case ES256:
		if p, ok := k.Public.(*ecdsa.PublicKey); ok && p.Curve == elliptic.P256() {
			return nil
		}
	case EdDSA:
		if p, ok := k.Public.(ed25519.PublicKey); ok && len(p) == ed25519.PublicKeySize {
			return nil
		}
	default:
		return errors.New("authjwt: algorithm " + k.Algorithm + " is not allowed")
	}
	return errors.New("authjwt: key " + k.ID + " does not fit algorithm " + k.Algorithm)
}

// verify reports whether sig is k's valid signature of input. A key that
// fails Check never verifies anything.
func (k Key) verify(input string, sig []byte) bool {
	if k.Check() != nil {
		return false
	}
	switch k.Algorithm {
	case RS256:
		digest := sha256.Sum256([]byte(input))
		return rsa.VerifyPKCS1v15(k.Public.(*rsa.PublicKey), crypto.SHA256, digest[:], sig) == nil
	case ES256:
		if len(sig) != 64 {
			return false
		}
		digest := sha256.Sum256([]byte(input))
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(k.Public.(*ecdsa.PublicKey), digest[:], r, s)
	case EdDSA:
		if len(sig) != ed25519.SignatureSize {
			return false
		}
		return ed25519.Verify(k.Public.(ed25519.PublicKey), []byte(input), sig)
	}
	return false
}
