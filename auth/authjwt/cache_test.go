package authjwt_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/iam"
)

const testIssuer = "https://id.example.com/realms/acme"

// signEd25519 returns an EdDSA access token of realm acme signed by priv
// under kid, with jti id, expiring at exp.
func signEd25519(t testing.TB, priv ed25519.PrivateKey, kid, jti string, exp time.Time) string {
	t.Helper()
	enc := func(v any) string {
		raw, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(raw)
	}
	input := enc(map[string]string{"alg": authjwt.EdDSA, "kid": kid, "typ": "JWT"}) + "." +
		enc(authjwt.AccessClaims{ExpiresAt: exp.Unix(), IssuedAt: exp.Add(-5 * time.Minute).Unix(), ID: jti,
			Issuer: testIssuer, Subject: "u-alice", Type: authjwt.TypeBearer, Realm: "acme", RealmID: "id-of-acme"})
	return input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(priv, []byte(input)))
}

// keyring is a Keys whose key a test replaces, counting lookups.
type keyring struct {
	key     atomic.Pointer[authjwt.Key]
	lookups atomic.Int64
}

func (k *keyring) Key(_ context.Context, kid string) (authjwt.Key, bool, error) {
	k.lookups.Add(1)
	key := k.key.Load()
	if key == nil || key.ID != kid {
		return authjwt.Key{}, false, nil
	}
	return *key, true, nil
}

// cacheFixture is a Cache over one realm with a replaceable key and clock.
type cacheFixture struct {
	cache   *authjwt.Cache
	keys    *keyring
	priv    ed25519.PrivateKey
	now     time.Time
	revoked bool
}

func newCacheFixture(t testing.TB, size int) *cacheFixture {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	f := &cacheFixture{cache: authjwt.NewCache(size), keys: &keyring{}, priv: priv, now: time.Now().Truncate(time.Second)}
	f.keys.key.Store(&authjwt.Key{ID: "k1", Algorithm: authjwt.EdDSA, Public: pub})
	return f
}

func (f *cacheFixture) verify(raw string) (*authjwt.AccessClaims, error) {
	return f.cache.Verify(context.Background(), raw, func(context.Context, string, *authjwt.AccessClaims) (authjwt.Keys, authjwt.Expect, error) {
		return f.keys, authjwt.Expect{Issuer: testIssuer, Realm: "acme", RealmID: "id-of-acme", Now: f.now,
			Revoked: func(context.Context, iam.Realm, string, string, time.Time) (bool, error) { return f.revoked, nil }}, nil
	})
}

// A cached token passes only what Verify would pass: each case accepts a
// token twice (the second time from the cache), changes something, and
// expects the next use refused with the reason.
func TestCacheRechecksWhatCanChange(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *cacheFixture)
		want   authjwt.Reason
	}{
		{"Expired", func(f *cacheFixture) { f.now = f.now.Add(5 * time.Minute) }, authjwt.ReasonExpired},
		{"Revoked", func(f *cacheFixture) { f.revoked = true }, authjwt.ReasonRevoked},
		{"KeyNoLongerPublished", func(f *cacheFixture) {
			pub, _, _ := ed25519.GenerateKey(rand.Reader)
			f.keys.key.Store(&authjwt.Key{ID: "k2", Algorithm: authjwt.EdDSA, Public: pub})
		}, authjwt.ReasonUnknownKey},
		{"KeyReplacedUnderTheSameKid", func(f *cacheFixture) {
			pub, _, _ := ed25519.GenerateKey(rand.Reader)
			f.keys.key.Store(&authjwt.Key{ID: "k1", Algorithm: authjwt.EdDSA, Public: pub})
		}, authjwt.ReasonSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newCacheFixture(t, 10)
			tok := signEd25519(t, f.priv, "k1", "jti-1", f.now.Add(5*time.Minute))
			for range 2 {
				if c, err := f.verify(tok); err != nil || c.Subject != "u-alice" {
					t.Fatalf("Verify = %+v, %v", c, err)
				}
			}
			tt.change(f)
			_, err := f.verify(tok)
			if re, ok := err.(*authjwt.Error); !ok || re.Reason != tt.want {
				t.Fatalf("Verify after the change = %v, want reason %v", err, tt.want)
			}
		})
	}
}

// Expired tokens and then arbitrary ones make room: the cache never holds
// more than its size.
func TestCacheIsBounded(t *testing.T) {
	f := newCacheFixture(t, 5)
	for i := range 20 {
		tok := signEd25519(t, f.priv, "k1", fmt.Sprint("jti-", i), f.now.Add(time.Duration(i+1)*time.Second))
		if _, err := f.verify(tok); err != nil {
			t.Fatal(err)
		}
		if n := f.cache.Len(); n > 5 {
			t.Fatalf("after %d tokens the cache holds %d, want at most 5", i+1, n)
		}
	}
	if n := f.cache.Len(); n != 5 {
		t.Fatalf("the cache holds %d, want 5", n)
	}
}

// A token altered in one byte is not the cached token: it is verified in
// full and refused.
func TestCacheVerifiesAnAlteredTokenInFull(t *testing.T) {
	f := newCacheFixture(t, 10)
	tok := signEd25519(t, f.priv, "k1", "jti-1", f.now.Add(5*time.Minute))
	if _, err := f.verify(tok); err != nil {
		t.Fatal(err)
	}
	i := len(tok) - 10
	c := byte('A')
	if tok[i] == 'A' {
		c = 'B'
	}
	if _, err := f.verify(tok[:i] + string(c) + tok[i+1:]); err == nil {
		t.Fatal("an altered token was accepted")
	}
}

// BenchmarkCacheVerify compares a full verification (EdDSA) with a cached
// one: go test ./auth/authjwt -run '^$' -bench CacheVerify -cpu 1.
func BenchmarkCacheVerify(b *testing.B) {
	for _, cached := range []bool{false, true} {
		b.Run(fmt.Sprint("cached=", cached), func(b *testing.B) {
			f := newCacheFixture(b, 0)
			tok := signEd25519(b, f.priv, "k1", "jti-1", f.now.Add(5*time.Minute))
			b.ReportAllocs()
			for b.Loop() {
				if !cached {
					f.cache = authjwt.NewCache(0)
				}
				if _, err := f.verify(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
