package iamcrypto

import (
	"crypto/hmac"
	"crypto/sha256"
)

// MACSize is the size in bytes of a MAC's tags: HMAC-SHA-256.
const MACSize = sha256.Size

// MAC computes and checks HMAC-SHA-256 tags for one purpose under subkeys
// derived from the deployment key with HKDF-SHA-256 (RFC 5869): never the
// key itself, which seals, and a different subkey per purpose, so a tag made
// for one use means nothing for another. During a key rotation it holds the
// subkeys of the previous keys too: it tags under the current key and checks
// tags made under any of them, telling which. Use it for values that must be
// compared but never read back, such as the stored form of client secrets
// (a keyed hash: a stolen database alone allows no offline guessing). A MAC
// is safe for concurrent use.
type MAC struct {
	keys [][]byte // current first, then the previous keys'
}

// NewMAC returns the MAC for purpose under key, also checking tags made
// under previous. Every key must be exactly KeySize bytes (CodeInvalid,
// field "key", otherwise). Only the derived subkeys are kept.
func NewMAC(purpose string, key []byte, previous ...[]byte) (*MAC, error) {
	const op = "iamcrypto.NewMAC"
	m := &MAC{}
	for _, k := range append([][]byte{key}, previous...) {
		prk, err := extract(op, k)
		if err != nil {
			return nil, err
		}
		m.keys = append(m.keys, macKey(prk, purpose))
	}
	return m, nil
}

// macKey is the MAC subkey for purpose of the key whose extract is prk.
func macKey(prk []byte, purpose string) []byte { return expand(prk, "opengate mac "+purpose) }

// Sum returns the MACSize-byte tag of msg under the current key.
func (m *MAC) Sum(msg []byte) []byte {
	return sum(m.keys[0], msg)
}

// Verify reports whether tag is msg's tag under the current key or a
// previous one, and whether it is the current key's (a tag made under a
// previous key is due to be replaced by Sum's). Each comparison runs in
// constant time.
func (m *MAC) Verify(msg, tag []byte) (ok, current bool) {
	for i, k := range m.keys {
		if hmac.Equal(sum(k, msg), tag) {
			return true, i == 0
		}
	}
	return false, false
}

func sum(key, msg []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil)
}
