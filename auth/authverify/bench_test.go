package authverify_test

import (
	"context"
	"testing"

	"github.com/opengate-iam/opengate/auth/authverify"
)

// BenchmarkVerify is the per-request cost of a resource server (or the
// gateway) checking an RS256 access token with cached keys.
func BenchmarkVerify(b *testing.B) {
	acme := newRSAKey(b, "acme-1")
	ctx := context.Background()
	v, err := authverify.New(ctx, base, authverify.WithKeySource(authverify.StaticKeys{"acme": setOf(acme.pub)}))
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
