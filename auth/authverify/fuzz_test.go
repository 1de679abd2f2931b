package authverify_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
)

// FuzzVerify feeds arbitrary strings to a resource server's verifier (keys
// and realm ids from the issuer in the same process). It must never panic,
// must refuse with CodeUnauthenticated, and may accept only what the issuer
// signed: the signing input of an accepted token is the genuine token's.
// The seed corpus is in testdata/fuzz/FuzzVerify plus a genuine token and
// its forgeries made here.
func FuzzVerify(f *testing.F) {
	is := newIssuerAt(f, "https://id.example.com")
	genuine := is.login()
	input := genuine[:strings.LastIndexByte(genuine, '.')+1]
	forge := newForger(f, genuine, is.signingKey())
	f.Add(genuine)
	f.Add(forge.hs256())
	f.Add(forge.es256())
	f.Add(forge.otherKey(forge.key.ID))
	f.Add(forge.token(func(h, _ map[string]any) { h["alg"] = "none" }))
	f.Add(forge.token(func(_, c map[string]any) { c["iss"] = "https://evil.example.com/realms/acme" }))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := is.local.Verify(ctx, raw)
		if err != nil {
			if iam.ErrorCode(err) != iam.CodeUnauthenticated {
				t.Fatalf("refused with %v, want unauthenticated", err)
			}
			return
		}
		if !strings.HasPrefix(raw, input) || p.Subject != "u-alice" || p.Realm != "acme" {
			t.Fatalf("accepted a token the issuer did not sign: %q (%+v)", raw, p)
		}
	})
}
