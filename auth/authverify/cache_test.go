package authverify_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/iam"
)

// switchable is a revocation checker whose answer a test changes.
type switchable struct {
	mu      sync.Mutex
	revoked bool
}

func (s *switchable) set(v bool) { s.mu.Lock(); s.revoked = v; s.mu.Unlock() }

func (s *switchable) Revoked(context.Context, iam.Realm, string, string, time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.revoked, nil
}

// A cached token passes only what an uncached one would: each case
// accepts a token once (caching it), changes something, and expects the
// next use refused with the message.
func TestTokenCacheRechecksWhatCanChange(t *testing.T) {
	acme := newRSAKey(t, "acme-1")
	other := newRSAKey(t, "acme-1") // the same kid, another key
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(keys authverify.StaticKeys, rc *switchable, v *authverify.Verifier, now *time.Time)
		want   string
	}{
		{"Expired", func(_ authverify.StaticKeys, _ *switchable, _ *authverify.Verifier, now *time.Time) {
			*now = now.Add(6 * time.Minute)
		}, "token expired"},
		{"Revoked", func(_ authverify.StaticKeys, rc *switchable, _ *authverify.Verifier, _ *time.Time) { rc.set(true) }, "invalid token"},
		{"KeyNoLongerPublished", func(keys authverify.StaticKeys, _ *switchable, _ *authverify.Verifier, _ *time.Time) {
			keys["acme"] = setOf(newRSAKey(t, "acme-2").pub)
		}, "invalid token"},
		{"KeyReplacedUnderTheSameKid", func(keys authverify.StaticKeys, _ *switchable, _ *authverify.Verifier, _ *time.Time) {
			keys["acme"] = setOf(other.pub)
		}, "invalid token"},
		{"RealmRecreated", func(keys authverify.StaticKeys, _ *switchable, _ *authverify.Verifier, _ *time.Time) {
			keys["acme"] = authverify.FromJWKSet(jwkSet("id-of-the-new-acme", acme.pub))
		}, "invalid token"},
		{"RealmDeleted", func(_ authverify.StaticKeys, _ *switchable, v *authverify.Verifier, _ *time.Time) {
			data, _ := json.Marshal(map[string]string{"id": "id-of-acme"})
			if err := v.HandleEvent(ctx, iam.Event{Type: iam.TopicRealmDeleted, Realm: "acme", Data: data}); err != nil {
				t.Fatal(err)
			}
		}, "invalid token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := authverify.StaticKeys{"acme": setOf(acme.pub)}
			rc := &switchable{}
			now := time.Now()
			v, err := authverify.New(ctx, base, authverify.WithKeySource(keys), authverify.WithRevocationChecker(rc),
				authverify.WithClock(func() time.Time { return now }), authverify.WithTokenCache(10))
			if err != nil {
				t.Fatal(err)
			}
			tok := sign(t, claims("acme", nil), acme.priv)
			for range 2 { // verified, then from the cache
				if p, err := v.Verify(ctx, tok); err != nil || p.Subject != "user-1" {
					t.Fatalf("Verify = %+v, %v", p, err)
				}
			}
			tt.change(keys, rc, v, &now)
			if _, err := v.Verify(ctx, tok); iam.ErrorMessage(err) != tt.want {
				t.Fatalf("after the change: %v, want %q", err, tt.want)
			}
		})
	}
}

func TestTokenCacheNeverAcceptsAnotherString(t *testing.T) {
	acme := newRSAKey(t, "acme-1")
	ctx := context.Background()
	v, _ := authverify.New(ctx, base, authverify.WithKeySource(authverify.StaticKeys{"acme": setOf(acme.pub)}),
		authverify.WithTokenCache(10))
	tok := sign(t, claims("acme", nil), acme.priv)
	if _, err := v.Verify(ctx, tok); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	super := sign(t, claims("acme", func(tok jwt.Token) { _ = tok.Set("realm_access", map[string]any{"roles": []string{"superuser"}}) }), acme.priv)
	forged := parts[0] + "." + strings.Split(super, ".")[1] + "." + parts[2] // another payload, the cached token's signature
	sig := []byte(parts[2])
	if sig[10] == 'A' {
		sig[10] = 'B'
	} else {
		sig[10] = 'A'
	}
	flipped := parts[0] + "." + parts[1] + "." + string(sig)
	for name, bad := range map[string]string{"OtherPayload": forged, "OneCharacterChanged": flipped, "TrailingSpace": tok + " x"} {
		if _, err := v.Verify(ctx, bad); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if p, err := v.Verify(ctx, tok); err != nil || p.HasRole("superuser") {
		t.Fatalf("the cached token after the forgeries: %+v, %v", p, err)
	}
}

func TestTokenCacheIsBounded(t *testing.T) {
	acme := newRSAKey(t, "acme-1")
	ctx := context.Background()
	v, _ := authverify.New(ctx, base, authverify.WithKeySource(authverify.StaticKeys{"acme": setOf(acme.pub)}),
		authverify.WithTokenCache(2))
	var toks []string
	for i := range 5 {
		tok := sign(t, claims("acme", func(tok jwt.Token) { _ = tok.Set(jwt.JwtIDKey, "jti-"+string(rune('a'+i))) }), acme.priv)
		toks = append(toks, tok)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	for _, tok := range toks { // evicted ones are verified again
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkVerifyCached is BenchmarkVerify with the token cache: the same
// token presented again (revocation still checked, here by a map).
func BenchmarkVerifyCached(b *testing.B) {
	acme := newRSAKey(b, "acme-1")
	ctx := context.Background()
	v, err := authverify.New(ctx, base, authverify.WithKeySource(authverify.StaticKeys{"acme": setOf(acme.pub)}),
		authverify.WithRevocationChecker(revoked{}), authverify.WithTokenCache(0))
	if err != nil {
		b.Fatal(err)
	}
	tok := sign(b, claims("acme", nil), acme.priv)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}
