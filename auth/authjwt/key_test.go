package authjwt_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/opengate-iam/opengate/auth/authjwt"
)

func TestKeyCheckPinsOneAlgorithmPerKeyType(t *testing.T) {
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	rsa1024, _ := rsa.GenerateKey(rand.Reader, 1024)
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	ed, _, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name string
		key  authjwt.Key
		ok   bool
	}{
		{"RS256WithRSA2048", authjwt.Key{ID: "k", Algorithm: authjwt.RS256, Public: &rsa2048.PublicKey}, true},
		{"ES256WithP256", authjwt.Key{ID: "k", Algorithm: authjwt.ES256, Public: &p256.PublicKey}, true},
		{"EdDSAWithEd25519", authjwt.Key{ID: "k", Algorithm: authjwt.EdDSA, Public: ed}, true},
		{"RSAUnder2048BitsIsRefused", authjwt.Key{ID: "k", Algorithm: authjwt.RS256, Public: &rsa1024.PublicKey}, false},
		{"ES256WithP384IsRefused", authjwt.Key{ID: "k", Algorithm: authjwt.ES256, Public: &p384.PublicKey}, false},
		{"RS256WithAnECKeyIsRefused", authjwt.Key{ID: "k", Algorithm: authjwt.RS256, Public: &p256.PublicKey}, false},
		{"ES256WithAnRSAKeyIsRefused", authjwt.Key{ID: "k", Algorithm: authjwt.ES256, Public: &rsa2048.PublicKey}, false},
		{"EdDSAWithAPrivateKeyIsRefused", authjwt.Key{ID: "k", Algorithm: authjwt.EdDSA, Public: ed25519.PrivateKey(make([]byte, 64))}, false},
		{"HS256IsRefused", authjwt.Key{ID: "k", Algorithm: "HS256", Public: []byte("secret")}, false},
		{"NoneIsRefused", authjwt.Key{ID: "k", Algorithm: "none"}, false},
		{"NoAlgorithmIsRefused", authjwt.Key{ID: "k", Public: &rsa2048.PublicKey}, false},
		{"NoKidIsRefused", authjwt.Key{Algorithm: authjwt.RS256, Public: &rsa2048.PublicKey}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.key.Check(); (err == nil) != tt.ok {
				t.Fatalf("Check() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}
