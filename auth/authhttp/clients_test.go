package authhttp_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/iam"
)

// TestUnmodifiedOAuthAndOIDCClients drives the server with
// golang.org/x/oauth2 and github.com/coreos/go-oidc/v3 as any relying party
// would: discovery, client credentials (both client authentication styles),
// the password grant, ID token verification (signature, iss, aud, exp,
// at_hash), userinfo and refresh.
func TestUnmodifiedOAuthAndOIDCClients(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			s := newServer(t, alg)
			ctx := context.Background()
			provider, err := oidc.NewProvider(ctx, s.url+"/realms/acme")
			if err != nil {
				t.Fatalf("discovery: %v", err)
			}

			for _, style := range []oauth2.AuthStyle{oauth2.AuthStyleInHeader, oauth2.AuthStyleInParams} {
				cc := clientcredentials.Config{ClientID: "svc", ClientSecret: "svc-secret",
					TokenURL: provider.Endpoint().TokenURL, Scopes: []string{"openid"}, AuthStyle: style}
				tok, err := cc.Token(ctx)
				if err != nil {
					t.Fatalf("client credentials (style %d): %v", style, err)
				}
				info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
				if err != nil || info.Subject != iam.ServiceAccountSubject("c-svc-acme") {
					t.Fatalf("service-account userinfo = %+v, %v", info, err)
				}
			}

			conf := oauth2.Config{ClientID: "app", ClientSecret: "app secret:+%", Endpoint: provider.Endpoint(),
				Scopes: []string{oidc.ScopeOpenID, "profile", "email"}}
			tok, err := conf.PasswordCredentialsToken(ctx, "alice", "alice-password")
			if err != nil {
				t.Fatalf("password grant: %v", err)
			}
			rawID, _ := tok.Extra("id_token").(string)
			idt, err := provider.Verifier(&oidc.Config{ClientID: "app"}).Verify(ctx, rawID)
			if err != nil {
				t.Fatalf("ID token: %v", err)
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Fatalf("at_hash: %v", err)
			}
			var claims struct {
				Email    string `json:"email"`
				Username string `json:"preferred_username"`
			}
			if err := idt.Claims(&claims); err != nil || idt.Subject != alice.ID || claims.Email != alice.Email || claims.Username != "alice" {
				t.Fatalf("ID token claims = %+v %s, %v", claims, idt.Subject, err)
			}
			if _, err := provider.Verifier(&oidc.Config{ClientID: "someone-else"}).Verify(ctx, rawID); err == nil {
				t.Fatal("ID token accepted for another audience")
			}
			// The access token verifies against the same JWKS.
			if _, err := provider.Verifier(&oidc.Config{SkipClientIDCheck: true}).Verify(ctx, tok.AccessToken); err != nil {
				t.Fatalf("access token: %v", err)
			}
			info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			if err != nil || info.Subject != idt.Subject || info.Email != alice.Email {
				t.Fatalf("userinfo = %+v, %v", info, err)
			}

			expired := *tok
			expired.Expiry = time.Now().Add(-time.Minute)
			refreshed, err := conf.TokenSource(ctx, &expired).Token()
			if err != nil || refreshed.AccessToken == tok.AccessToken || refreshed.RefreshToken == tok.RefreshToken {
				t.Fatalf("refresh: %v", err)
			}
		})
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64JSON(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64(raw)
}

// forgeries returns tokens an attacker could derive from a genuine RS256
// access token and the realm's public JWKS.
func forgeries(t *testing.T, s *server, genuine string) map[string]string {
	t.Helper()
	parts := strings.Split(genuine, ".")
	var header map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	_ = json.Unmarshal(raw, &header)
	kid := header["kid"].(string)

	var set auth.JWKS
	_ = json.Unmarshal([]byte(s.get(s.oidc("acme", "/certs"), "").raw), &set)
	n, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].N)
	der, _ := x509.MarshalPKIXPublicKey(&rsa.PublicKey{N: new(big.Int).SetBytes(n), E: 65537})
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	hsInput := b64JSON(t, map[string]string{"alg": "HS256", "kid": kid, "typ": "JWT"}) + "." + parts[1]
	mac := hmac.New(sha256.New, pemKey)
	mac.Write([]byte(hsInput))

	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	unknownInput := b64JSON(t, map[string]string{"alg": "RS256", "kid": "unknown-kid", "typ": "JWT"}) + "." + parts[1]
	digest := sha256.Sum256([]byte(unknownInput))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, other, 5, digest[:]) // 5 = crypto.SHA256

	var claims map[string]any
	raw, _ = base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(raw, &claims)
	claims["realm_access"] = map[string]any{"roles": []string{"admin"}}
	tampered := parts[0] + "." + b64JSON(t, claims) + "." + parts[2]
	claims["iss"] = s.url + "/realms/other"
	otherIssuer := parts[0] + "." + b64JSON(t, claims) + "." + parts[2]

	return map[string]string{
		"AlgNone":               b64JSON(t, map[string]string{"alg": "none", "kid": kid}) + "." + parts[1] + ".",
		"HS256WithRSAPublicKey": hsInput + "." + b64(mac.Sum(nil)),
		"UnknownKid":            unknownInput + "." + b64(sig),
		"TamperedPayload":       tampered,
		"IssuerRewritten":       otherIssuer,
	}
}

// TestVerifierRejectsForgedTokens checks auth/authverify (as resource servers
// use it, fetching this server's JWKS) and the server's own introspection
// and userinfo against the same forgeries.
func TestVerifierRejectsForgedTokens(t *testing.T) {
	s := newServer(t, "RS256")
	ctx := context.Background()
	now := time.Now()
	clock := func() time.Time { return now }
	v, err := authverify.New(ctx, s.url, authverify.WithClock(clock), authverify.WithRevocationChecker(auth.Revocations{Store: s.tokens}))
	if err != nil {
		t.Fatal(err)
	}
	login := s.passwordLogin("openid")
	at := login.str("access_token")
	p, err := v.VerifyForRealm(ctx, at, "acme")
	if err != nil || p.Subject != alice.ID || p.Realm != "acme" || !p.HasRole("realm-admin") || p.ClientID != "app" ||
		p.SessionID != login.str("session_state") {
		t.Fatalf("genuine token: %+v, %v", p, err)
	}
	for name, forged := range forgeries(t, s, at) {
		t.Run(name, func(t *testing.T) {
			if _, err := v.Verify(ctx, forged); !errors.Is(err, iam.ErrUnauthenticated) {
				t.Fatalf("authverify accepted it: %v", err)
			}
			in := s.post(s.oidc("acme", "/token/introspect"), url.Values{"token": {forged}}, "app", "app secret:+%")
			if in.status != 200 || in.body["active"] != false {
				t.Fatalf("introspection: %d %s", in.status, in.raw)
			}
			if ui := s.get(s.oidc("acme", "/userinfo"), forged); ui.status != 401 {
				t.Fatalf("userinfo: %d %s", ui.status, ui.raw)
			}
		})
	}
	t.Run("TokenOfAnotherRealm", func(t *testing.T) {
		cc := s.post(s.oidc("other", "/token"), url.Values{"grant_type": {"client_credentials"}}, "svc", "svc-secret")
		if _, err := v.VerifyForRealm(ctx, cc.str("access_token"), "acme"); !errors.Is(err, iam.ErrUnauthenticated) {
			t.Fatalf("authverify: %v", err)
		}
		in := s.post(s.oidc("acme", "/token/introspect"), url.Values{"token": {cc.str("access_token")}}, "app", "app secret:+%")
		if in.body["active"] != false {
			t.Fatalf("introspection: %s", in.raw)
		}
	})
	t.Run("Expired", func(t *testing.T) {
		late, _ := authverify.New(ctx, s.url, authverify.WithClock(func() time.Time { return now.Add(10 * time.Minute) }))
		if _, err := late.Verify(ctx, at); !errors.Is(err, iam.ErrUnauthenticated) {
			t.Fatalf("authverify: %v", err)
		}
	})
	t.Run("Revoked", func(t *testing.T) {
		s.post(s.oidc("acme", "/revoke"), url.Values{"token": {at}}, "app", "app secret:+%")
		if _, err := v.Verify(ctx, at); !errors.Is(err, iam.ErrUnauthenticated) {
			t.Fatalf("authverify: %v", err)
		}
	})
}

// TestKeyRotationSeenByVerifier: after a rotation, tokens of the old key
// still verify and new tokens carry the new kid, which authverify fetches.
func TestKeyRotationSeenByVerifier(t *testing.T) {
	s := newServer(t, "ES256")
	ctx := context.Background()
	v, _ := authverify.New(ctx, s.url)
	old := s.passwordLogin("").str("access_token")
	if _, err := v.Verify(ctx, old); err != nil {
		t.Fatal(err)
	}
	k, err := s.svc.RotateKey(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	fresh := s.passwordLogin("").str("access_token")
	var header map[string]any
	raw, _ := base64.RawURLEncoding.DecodeString(strings.Split(fresh, ".")[0])
	_ = json.Unmarshal(raw, &header)
	if header["kid"] != k.ID {
		t.Fatalf("new token kid %v, want %s", header["kid"], k.ID)
	}
	for name, tok := range map[string]string{"old": old, "new": fresh} {
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("%s token after rotation: %v", name, err)
		}
	}
}

// TestAdminAPIBehindTheVerifier wires authverify's middleware in front of
// the handler, as cmd/opengate does: a realm-admin's password-grant token
// administers its realm and nothing else.
func TestAdminAPIBehindTheVerifier(t *testing.T) {
	s := newServer(t, "RS256")
	ctx := context.Background()
	v, _ := authverify.New(ctx, s.url)
	front := httptest.NewServer(v.Middleware(authhttp.NewHandler(s.svc)))
	t.Cleanup(front.Close)
	at := s.passwordLogin("").str("access_token")
	call := func(realm, token string) int {
		req, _ := http.NewRequest(http.MethodGet, front.URL+"/admin/realms/"+realm+"/attack-detection/brute-force/users/x", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return s.do(req).status
	}
	if got := call("acme", at); got != 200 {
		t.Fatalf("own realm: %d", got)
	}
	if got := call("other", at); got != 403 {
		t.Fatalf("other realm: %d", got)
	}
	if got := call("acme", ""); got != 401 {
		t.Fatalf("anonymous: %d", got)
	}
	if got := call("acme", at+"x"); got != 401 {
		t.Fatalf("bad token: %d", got)
	}
}
