package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/realms"
)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64JSON(t testing.TB, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64(raw)
}

// rsaRealm switches realm acme to RS256.
func (e *env) rsaRealm() {
	r, _ := e.dir.Realms().Get(context.Background(), "acme")
	r.SigningAlgorithm = realms.AlgRS256
	e.dir.PutRealm(r)
}

// jwks returns the realm's published keys.
func (e *env) jwks(realm string) auth.JWKS {
	e.t.Helper()
	raw, err := e.svc.JWKS(context.Background(), "acme")
	if realm != "acme" {
		raw, err = e.svc.JWKS(context.Background(), "other")
	}
	if err != nil {
		e.t.Fatal(err)
	}
	var set auth.JWKS
	if err := json.Unmarshal(raw, &set); err != nil {
		e.t.Fatal(err)
	}
	return set
}

// forgedTokens returns tokens an attacker could build, by name, from a
// genuine access token of alice (RS256).
func forgedTokens(t testing.TB, e *env, genuine string) map[string]string {
	t.Helper()
	parts := strings.Split(genuine, ".")
	var claims map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(raw, &claims)
	kid := jwtPart(t, genuine, 0)["kid"].(string)

	// The realm's RSA public key as PEM: the classic HS256 confusion secret.
	jwk := e.jwks("acme").Keys[0]
	n, _ := base64.RawURLEncoding.DecodeString(jwk.N)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537}
	der, _ := x509.MarshalPKIXPublicKey(pub)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	hs := b64JSON(t, map[string]string{"alg": "HS256", "kid": kid, "typ": "JWT"}) + "." + parts[1]
	mac := hmac.New(sha256.New, pemKey)
	mac.Write([]byte(hs))

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	unknown := b64JSON(t, map[string]string{"alg": "RS256", "kid": "unknown", "typ": "JWT"}) + "." + parts[1]
	digest := sha256.Sum256([]byte(unknown))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, other, 5, digest[:]) // 5 = crypto.SHA256

	sameKidOtherKey := b64JSON(t, map[string]string{"alg": "RS256", "kid": kid, "typ": "JWT"}) + "." + parts[1]
	digest2 := sha256.Sum256([]byte(sameKidOtherKey))
	sig2, _ := rsa.SignPKCS1v15(rand.Reader, other, 5, digest2[:])

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	es := b64JSON(t, map[string]string{"alg": "ES256", "kid": kid, "typ": "JWT"}) + "." + parts[1]
	d3 := sha256.Sum256([]byte(es))
	r, s, _ := ecdsa.Sign(rand.Reader, ec, d3[:])
	esSig := make([]byte, 64)
	r.FillBytes(esSig[:32])
	s.FillBytes(esSig[32:])

	tampered := claims
	tampered["sub"] = "u-mallory"
	tamperedRealm := map[string]any{}
	for k, v := range claims {
		tamperedRealm[k] = v
	}

	return map[string]string{
		"AlgNone":             b64JSON(t, map[string]string{"alg": "none", "kid": kid}) + "." + parts[1] + ".",
		"AlgNoneWithSig":      b64JSON(t, map[string]string{"alg": "none", "kid": kid}) + "." + parts[1] + "." + parts[2],
		"HS256WithPublicKey":  hs + "." + b64(mac.Sum(nil)),
		"UnknownKid":          unknown + "." + b64(sig),
		"KnownKidForeignKey":  sameKidOtherKey + "." + b64(sig2),
		"ES256WithRSAKid":     es + "." + b64(esSig),
		"TamperedPayload":     parts[0] + "." + b64JSON(t, tampered) + "." + parts[2],
		"NoKid":               b64JSON(t, map[string]string{"alg": "RS256"}) + "." + parts[1] + "." + parts[2],
		"CritHeader":          b64JSON(t, map[string]any{"alg": "RS256", "kid": kid, "crit": []string{"exp"}}) + "." + parts[1] + "." + parts[2],
		"PaddedSignature":     genuine + "==",
		"TwoParts":            parts[0] + "." + parts[1],
		"FourParts":           genuine + ".x",
		"Garbage":             "not.a.token",
		"OversizedToken":      parts[0] + "." + strings.Repeat("A", 20000) + "." + parts[2],
		"SignatureOfOtherJWT": parts[0] + "." + b64JSON(t, tamperedRealm) + "x." + parts[2],
	}
}

func TestForgedTokensAreRejectedByIntrospectionAndUserinfo(t *testing.T) {
	e := newEnv(t)
	e.rsaRealm()
	genuine := e.passwordLogin("openid").AccessToken
	if !e.introspect(genuine).Active {
		t.Fatal("genuine token inactive")
	}
	if _, err := e.svc.UserInfo(context.Background(), "acme", genuine); err != nil {
		t.Fatalf("userinfo of the genuine token: %v", err)
	}
	for name, forged := range forgedTokens(t, e, genuine) {
		t.Run(name, func(t *testing.T) {
			in, err := e.svc.Introspect(context.Background(), auth.TokenRequestBase{Realm: "acme",
				Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"}, Token: forged})
			if err != nil || in.Active || in.Claims != nil {
				t.Fatalf("introspection = %+v, %v", in, err)
			}
			_, err = e.svc.UserInfo(context.Background(), "acme", forged)
			wantOAuth(t, err, auth.ErrorInvalidToken)
		})
	}
}

func TestExpiredTokenIsRejected(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("openid").AccessToken
	e.clock.Advance(5*time.Minute + time.Second)
	if e.introspect(tok).Active {
		t.Fatal("expired token is active")
	}
	_, err := e.svc.UserInfo(context.Background(), "acme", tok)
	wantOAuth(t, err, auth.ErrorInvalidToken)
}

func TestTokenOfAnotherRealmIsRejected(t *testing.T) {
	e := newEnv(t)
	tok := e.mustToken(auth.TokenRequest{Realm: "other", GrantType: auth.GrantClientCredentials,
		Client: auth.ClientCredentials{ClientID: "svc", Secret: "svc-secret"}})
	if e.introspect(tok.AccessToken).Active {
		t.Fatal("acme accepts a token of realm other")
	}
	_, err := e.svc.VerifyAccessToken(context.Background(), "acme", tok.AccessToken)
	wantOAuth(t, err, auth.ErrorInvalidToken)
	if _, err := e.svc.VerifyAccessToken(context.Background(), "other", tok.AccessToken); err != nil {
		t.Fatalf("own realm: %v", err)
	}
}

func TestIDTokenIsNotAnAccessToken(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("openid")
	if e.introspect(tok.IDToken).Active {
		t.Fatal("ID token introspects as an active access token")
	}
}

func TestKeyRotationKeepsOldTokensValidUntilTheyExpire(t *testing.T) {
	e := newEnv(t, auth.WithMaxTokenLifespan(time.Hour))
	before := e.passwordLogin("").AccessToken
	oldKid := jwtPart(t, before, 0)["kid"]

	info, err := e.svc.RotateKey(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	if info.ID == oldKid || info.Algorithm != "ES256" {
		t.Fatalf("rotated key = %+v", info)
	}
	after := e.passwordLogin("").AccessToken
	if kid := jwtPart(t, after, 0)["kid"]; kid != info.ID {
		t.Fatalf("new token kid = %v, want %v", kid, info.ID)
	}
	set := e.jwks("acme")
	if len(set.Keys) != 2 {
		t.Fatalf("jwks has %d keys", len(set.Keys))
	}
	if !e.introspect(before).Active || !e.introspect(after).Active {
		t.Fatal("a token is inactive after rotation")
	}
	// After the maximum token lifespan the old key leaves the JWKS.
	e.clock.Advance(time.Hour + time.Second)
	set = e.jwks("acme")
	if len(set.Keys) != 1 || set.Keys[0].Kid != info.ID {
		t.Fatalf("jwks after retention = %+v", set.Keys)
	}
}

func TestKeysRotateOnInterval(t *testing.T) {
	e := newEnv(t, auth.WithKeyRotation(24*time.Hour))
	first := jwtPart(t, e.passwordLogin("").AccessToken, 0)["kid"]
	e.clock.Advance(23 * time.Hour)
	if kid := jwtPart(t, e.passwordLogin("").AccessToken, 0)["kid"]; kid != first {
		t.Fatal("rotated too early")
	}
	e.clock.Advance(2 * time.Hour)
	if kid := jwtPart(t, e.passwordLogin("").AccessToken, 0)["kid"]; kid == first {
		t.Fatal("key not rotated after the interval")
	}
}

func TestSigningAlgorithmFollowsTheRealm(t *testing.T) {
	for _, alg := range []string{realms.AlgRS256, realms.AlgES256, realms.AlgEdDSA} {
		t.Run(alg, func(t *testing.T) {
			e := newEnv(t)
			r, _ := e.dir.Realms().Get(context.Background(), "acme")
			r.SigningAlgorithm = alg
			e.dir.PutRealm(r)
			tok := e.passwordLogin("openid")
			if h := jwtPart(t, tok.AccessToken, 0); h["alg"] != alg {
				t.Fatalf("alg = %v", h["alg"])
			}
			if !e.introspect(tok.AccessToken).Active {
				t.Fatal("token inactive")
			}
			if set := e.jwks("acme"); len(set.Keys) != 1 || set.Keys[0].Alg != alg || set.Keys[0].Use != "sig" {
				t.Fatalf("jwks = %+v", set)
			}
		})
	}
}

func TestChangingTheRealmAlgorithmRotatesTheKey(t *testing.T) {
	e := newEnv(t)
	es := e.passwordLogin("").AccessToken
	e.rsaRealm()
	rs := e.passwordLogin("").AccessToken
	if jwtPart(t, rs, 0)["alg"] != "RS256" {
		t.Fatal("algorithm change not applied")
	}
	if !e.introspect(es).Active || !e.introspect(rs).Active {
		t.Fatal("tokens of the old and the new key must both verify")
	}
	if n := len(e.jwks("acme").Keys); n != 2 {
		t.Fatalf("jwks has %d keys", n)
	}
}

func TestReplicasShareKeysRaceSafely(t *testing.T) {
	e := newEnv(t)
	// A second service over the same stores is another replica.
	replica, err := e.dir.NewService(issuerBase, e.keys, e.tokens, auth.WithClock(e.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 8)
	for i := 0; i < 8; i++ {
		svc := e.svc
		if i%2 == 1 {
			svc = replica
		}
		go func() {
			raw, err := svc.JWKS(context.Background(), "acme")
			if err != nil {
				done <- "error: " + err.Error()
				return
			}
			done <- string(raw)
		}()
	}
	first := <-done
	for i := 1; i < 8; i++ {
		if got := <-done; got != first {
			t.Fatalf("replicas published different keys:\n%s\n%s", first, got)
		}
	}
	keys, _ := e.keys.ListKeys(context.Background(), "acme")
	if len(keys) != 1 {
		t.Fatalf("%d keys created for one realm", len(keys))
	}
	tok := e.passwordLogin("").AccessToken
	if _, err := replica.VerifyAccessToken(context.Background(), "acme", tok); err != nil {
		t.Fatalf("replica rejects a token of its peer: %v", err)
	}
}
