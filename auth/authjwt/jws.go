package authjwt

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// MaxTokenBytes bounds the size of a token accepted for verification.
const MaxTokenBytes = 16 << 10

// Header types of the tokens OpenGate signs.
const (
	HeaderTypeJWT   = "JWT"    // ID tokens, and access tokens by default
	HeaderTypeATJWT = "at+jwt" // access tokens of clients asking for RFC 9068's type
)

var b64url = base64.RawURLEncoding.Strict()

// Header is the part of a JOSE header the policy reads.
type Header struct {
	Alg  string          `json:"alg"`
	Kid  string          `json:"kid"`
	Typ  string          `json:"typ"`
	Crit json.RawMessage `json:"crit"`
}

// Token is a compact JWS split and decoded, not yet verified: nothing in it
// may be trusted before Verify succeeds.
type Token struct {
	Header Header
	// Claims are the decoded claims, unverified.
	Claims AccessClaims
	input  string // the signing input: header.payload as sent
	sig    []byte
}

// Parse splits and decodes a compact JWS without verifying it. It refuses
// (ReasonMalformed) an empty or oversized token, anything but three
// canonical unpadded base64url parts, a header that is not a JSON object or
// has "crit" (no extension is understood), and a payload that is not an
// access-token claims set.
func Parse(raw string) (*Token, error) {
	if len(raw) == 0 || len(raw) > MaxTokenBytes {
		return nil, refuse(ReasonMalformed)
	}
	h, rest, ok := strings.Cut(raw, ".")
	if !ok {
		return nil, refuse(ReasonMalformed)
	}
	p, s, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(s, ".") {
		return nil, refuse(ReasonMalformed)
	}
	t := &Token{input: raw[:len(h)+1+len(p)]}
	rawHeader, err := b64url.DecodeString(h)
	if err != nil || json.Unmarshal(rawHeader, &t.Header) != nil || t.Header.Crit != nil {
		return nil, refuse(ReasonMalformed)
	}
	payload, err := b64url.DecodeString(p)
	if err != nil || json.Unmarshal(payload, &t.Claims) != nil {
		return nil, refuse(ReasonMalformed)
	}
	if t.sig, err = b64url.DecodeString(s); err != nil {
		return nil, refuse(ReasonMalformed)
	}
	return t, nil
}

// LooksLikeJWS reports whether token has the shape of a compact JWS (two
// dots); OpenGate's refresh tokens never do.
func LooksLikeJWS(token string) bool { return strings.Count(token, ".") == 2 }

// headerTypeAllowed reports whether a header typ is acceptable for an access
// token: absent, JWT or at+jwt (media types compare case-insensitively, and
// "application/" may be omitted, RFC 7515 §4.1.9).
func headerTypeAllowed(typ string) bool {
	if typ == "" {
		return true
	}
	t := strings.ToLower(typ)
	t = strings.TrimPrefix(t, "application/")
	return t == "jwt" || t == HeaderTypeATJWT
}
