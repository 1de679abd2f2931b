package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// rsaKeyBits is the size of generated RSA keys.
const rsaKeyBits = 2048

// Key is a realm's token-signing key. A realm has at most one active key
// (RetiredAt zero), which signs new tokens; retired keys stay published in the
// JWKS until ExpiresAt, so that tokens they signed can still be verified.
type Key struct {
	ID        string    // kid: the RFC 7638 SHA-256 thumbprint of the public key
	Realm     iam.Realm // owner
	Algorithm string    // realms.AlgRS256, realms.AlgES256 or realms.AlgEdDSA
	// Private is an *rsa.PrivateKey, *ecdsa.PrivateKey (P-256) or
	// ed25519.PrivateKey matching Algorithm.
	Private   crypto.Signer
	CreatedAt time.Time
	RetiredAt time.Time // zero while active
	ExpiresAt time.Time // zero while active; when a retired key leaves the JWKS
}

// Active reports whether k signs new tokens.
func (k Key) Active() bool { return k.RetiredAt.IsZero() }

// KeyStore keeps signing keys. Private keys are secrets: durable
// implementations encrypt them at rest.
//
// Guarantees every implementation keeps (authtest.RunKeyStore checks them):
//   - ListKeys returns all keys of the realm, active and retired, newest
//     first, and nothing of another realm.
//   - ActivateKey is atomic and race-safe across processes: of concurrent
//     calls with the same precondition exactly one succeeds, the others get
//     CodeConflict, so a realm never has two active keys.
type KeyStore interface {
	// ListKeys returns every key of realm, newest first.
	ListKeys(ctx context.Context, realm iam.Realm) ([]Key, error)
	// ActivateKey makes next (an active key) the active key of next.Realm.
	// If replaces is "", the realm must have no active key; otherwise its
	// active key must have ID replaces, and that key is retired at
	// next.CreatedAt and kept until keepUntil. CodeConflict if the
	// precondition does not hold (another process activated a key first) or
	// the kid exists.
	ActivateKey(ctx context.Context, next Key, replaces string, keepUntil time.Time) error
	// DeleteExpiredKeys deletes realm's retired keys whose ExpiresAt is
	// before t.
	DeleteExpiredKeys(ctx context.Context, realm iam.Realm, t time.Time) error
	// DeleteRealmKeys deletes every key of realm (the realm was deleted, so
	// a realm later created with the same name must not accept its tokens).
	// Deleting the keys of a realm without keys is not an error.
	DeleteRealmKeys(ctx context.Context, realm iam.Realm) error
}

// GenerateKey returns a new active key of realm for alg (RSA-2048 for RS256,
// P-256 for ES256, Ed25519 for EdDSA). An unsupported alg is CodeInvalid.
func GenerateKey(realm iam.Realm, alg string, now time.Time) (Key, error) {
	var (
		priv crypto.Signer
		err  error
	)
	switch alg {
	case realms.AlgRS256:
		priv, err = rsa.GenerateKey(rand.Reader, rsaKeyBits)
	case realms.AlgES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case realms.AlgEdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	default:
		return Key{}, iam.Invalidf("signingAlgorithm", "unsupported signing algorithm %q", alg)
	}
	if err != nil {
		return Key{}, iam.Wrap("auth.GenerateKey", err)
	}
	return NewKey(realm, alg, priv, now)
}

// NewKey returns an active key of realm from an existing private key, with its
// thumbprint as ID. CodeInvalid if priv does not suit alg. Stores use it to
// rebuild keys they read back.
func NewKey(realm iam.Realm, alg string, priv crypto.Signer, createdAt time.Time) (Key, error) {
	jwk, err := publicJWK(alg, priv.Public())
	if err != nil {
		return Key{}, err
	}
	return Key{ID: jwk.thumbprint(), Realm: realm, Algorithm: alg, Private: priv, CreatedAt: createdAt}, nil
}

// JWK is a public JSON Web Key (RFC 7517) as published in a JWKS.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	Crv string `json:"crv,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

// JWKS is a JSON Web Key Set. RealmID, an additional member (RFC 7517 §5
// lets readers ignore it), is the realm's immutable id: verifiers that
// learn a realm's keys from its JWKS check the tokens' realm_id claim
// against it.
type JWKS struct {
	Keys    []JWK  `json:"keys"`
	RealmID string `json:"realm_id,omitempty"`
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// publicJWK returns the JWK of pub for alg, without kid. CodeInvalid if the
// key does not suit alg.
func publicJWK(alg string, pub crypto.PublicKey) (JWK, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if alg == realms.AlgRS256 && k.N.BitLen() >= 2048 {
			return JWK{Kty: "RSA", Use: "sig", Alg: alg, N: b64(k.N.Bytes()), E: b64(big.NewInt(int64(k.E)).Bytes())}, nil
		}
	case *ecdsa.PublicKey:
		if alg == realms.AlgES256 && k.Curve == elliptic.P256() {
			raw, err := k.Bytes() // 0x04 || X || Y, 32 bytes each
			if err != nil {
				return JWK{}, iam.Invalidf("key", "invalid P-256 public key")
			}
			return JWK{Kty: "EC", Use: "sig", Alg: alg, Crv: "P-256", X: b64(raw[1:33]), Y: b64(raw[33:65])}, nil
		}
	case ed25519.PublicKey:
		if alg == realms.AlgEdDSA {
			return JWK{Kty: "OKP", Use: "sig", Alg: alg, Crv: "Ed25519", X: b64(k)}, nil
		}
	}
	return JWK{}, iam.Invalidf("key", "private key does not suit algorithm %q", alg)
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint of the key, base64url.
func (j JWK) thumbprint() string {
	var members any
	switch j.Kty {
	case "RSA":
		members = struct {
			E   string `json:"e"`
			Kty string `json:"kty"`
			N   string `json:"n"`
		}{j.E, j.Kty, j.N}
	case "EC":
		members = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
			Y   string `json:"y"`
		}{j.Crv, j.Kty, j.X, j.Y}
	default:
		members = struct {
			Crv string `json:"crv"`
			Kty string `json:"kty"`
			X   string `json:"x"`
		}{j.Crv, j.Kty, j.X}
	}
	raw, _ := json.Marshal(members) // fixed string fields: cannot fail
	sum := sha256.Sum256(raw)
	return b64(sum[:])
}
