package auth

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// Compact JWS (RFC 7515) signing over the standard library, with exactly the
// three algorithms of realms.Alg*. Verification is authjwt's, shared with
// authverify.

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
