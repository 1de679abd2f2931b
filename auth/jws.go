package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Compact JWS (RFC 7515) signing and verification over the standard library.
// OpenGate signs and verifies only its own tokens, with its own keys, so the
// code supports exactly three algorithms, picks the key by kid from the
// realm's key set and requires the header's alg to equal that key's
// algorithm: "none", HMAC and algorithm confusion cannot be expressed.

// maxTokenBytes bounds the size of a token accepted for verification.
const maxTokenBytes = 16 << 10

var b64url = base64.RawURLEncoding.Strict()

// Header types of the tokens OpenGate signs.
const (
	typJWT   = "JWT"    // ID tokens, and access tokens by default
	typATJWT = "at+jwt" // access tokens of clients with AttrAccessTokenJWTType
)

// encodedHeader returns the base64url JOSE header {"alg","kid","typ"}.
func encodedHeader(alg, kid, typ string) string {
	raw, _ := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{alg, kid, typ}) // strings only: cannot fail
	return b64(raw)
}

// signJWS returns header.payload.signature, with header already encoded.
func signJWS(alg string, priv crypto.Signer, header string, payload []byte) (string, error) {
	plen := base64.RawURLEncoding.EncodedLen(len(payload))
	buf := make([]byte, 0, len(header)+1+plen+1+base64.RawURLEncoding.EncodedLen(512))
	buf = append(buf, header...)
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, payload)
	sig, err := sign(alg, priv, buf)
	if err != nil {
		return "", iam.Wrap("auth.sign", err)
	}
	buf = append(buf, '.')
	buf = base64.RawURLEncoding.AppendEncode(buf, sig)
	return string(buf), nil
}

// sign returns the JWS signature of input.
func sign(alg string, priv crypto.Signer, input []byte) ([]byte, error) {
	switch alg {
	case realms.AlgRS256:
		digest := sha256.Sum256(input)
		return priv.Sign(rand.Reader, digest[:], crypto.SHA256)
	case realms.AlgES256:
		k, ok := priv.(*ecdsa.PrivateKey)
		if !ok {
			return nil, iam.Errorf(iam.CodeInternal, "ES256 key is not ECDSA")
		}
		digest := sha256.Sum256(input)
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			return nil, err
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	case realms.AlgEdDSA:
		return priv.Sign(rand.Reader, input, crypto.Hash(0))
	}
	return nil, iam.Errorf(iam.CodeInternal, "unsupported algorithm %q", alg)
}

// verifySignature reports whether sig is a valid alg signature of input under
// pub.
func verifySignature(alg string, pub crypto.PublicKey, input, sig []byte) bool {
	switch alg {
	case realms.AlgRS256:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return false
		}
		digest := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig) == nil
	case realms.AlgES256:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || len(sig) != 64 {
			return false
		}
		digest := sha256.Sum256(input)
		r := new(big.Int).SetBytes(sig[:32])
		s := new(big.Int).SetBytes(sig[32:])
		return ecdsa.Verify(k, digest[:], r, s)
	case realms.AlgEdDSA:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(sig) != ed25519.SignatureSize {
			return false
		}
		return ed25519.Verify(k, input, sig)
	}
	return false
}

// jwsHeader is the part of a JOSE header OpenGate reads.
type jwsHeader struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	Crit json.RawMessage `json:"crit"`
}

// parsedJWS is a compact JWS split into its parts, not yet verified.
type parsedJWS struct {
	header  jwsHeader
	input   []byte // the signing input: header.payload as sent
	payload []byte
	sig     []byte
}

// errMalformedToken is returned for any token that cannot be parsed; the
// message says no more than that.
func errMalformedToken() error { return oauthErr(ErrorInvalidToken, "Malformed token") }

// parseJWS splits and decodes a compact JWS without verifying it. It refuses
// oversized tokens, bad base64url (padding or non-canonical bits included)
// and headers with "crit" (no extension is understood).
func parseJWS(token string) (parsedJWS, error) {
	if len(token) == 0 || len(token) > maxTokenBytes {
		return parsedJWS{}, errMalformedToken()
	}
	h, rest, ok := strings.Cut(token, ".")
	if !ok {
		return parsedJWS{}, errMalformedToken()
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(s, ".") {
		return parsedJWS{}, errMalformedToken()
	}
	var out parsedJWS
	rawHeader, err := b64url.DecodeString(h)
	if err != nil {
		return parsedJWS{}, errMalformedToken()
	}
	if err := json.Unmarshal(rawHeader, &out.header); err != nil || out.header.Crit != nil {
		return parsedJWS{}, errMalformedToken()
	}
	if out.payload, err = b64url.DecodeString(p); err != nil {
		return parsedJWS{}, errMalformedToken()
	}
	if out.sig, err = b64url.DecodeString(s); err != nil {
		return parsedJWS{}, errMalformedToken()
	}
	out.input = []byte(token[:len(h)+1+len(p)])
	return out, nil
}
