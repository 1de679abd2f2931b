package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/auth"
)

// FuzzVerifyAccessToken feeds arbitrary strings to the issuer's own
// verification (userinfo, introspection, revocation). It must never panic,
// must refuse with invalid_token, and may accept only what it signed: the
// signing input of an accepted token is the genuine token's. The seed corpus
// is in testdata/fuzz/FuzzVerifyAccessToken (forgeries of every kind) plus a
// genuine token and its forgeries made here.
func FuzzVerifyAccessToken(f *testing.F) {
	e := newEnv(f)
	e.rsaRealm()
	genuine := e.passwordLogin("openid").AccessToken
	input := genuine[:strings.LastIndexByte(genuine, '.')+1]
	f.Add(genuine)
	for _, forged := range forgedTokens(f, e, genuine) {
		f.Add(forged)
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := e.svc.VerifyAccessToken(ctx, "acme", raw)
		if err != nil {
			var oe *auth.OAuthError
			if !errors.As(err, &oe) || oe.Code != auth.ErrorInvalidToken {
				t.Fatalf("refused with %v, want invalid_token", err)
			}
			return
		}
		if !strings.HasPrefix(raw, input) || c.Subject != alice.ID {
			t.Fatalf("accepted a token it did not sign: %q (sub %q)", raw, c.Subject)
		}
	})
}
