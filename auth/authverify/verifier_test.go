package authverify_test

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
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/iam"
)

const base = "https://id.example.com"

type realmKey struct {
	priv jwk.Key
	pub  jwk.Key
	raw  *rsa.PrivateKey
}

func newRSAKey(t testing.TB, kid string) realmKey {
	t.Helper()
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	priv, _ := jwk.FromRaw(raw)
	_ = priv.Set(jwk.KeyIDKey, kid)
	_ = priv.Set(jwk.AlgorithmKey, jwa.RS256)
	pub, _ := priv.PublicKey()
	return realmKey{priv: priv, pub: pub, raw: raw}
}

// jwkSet returns a JWKS of keys with the realm id member, as auth
// publishes it.
func jwkSet(realmID string, keys ...jwk.Key) jwk.Set {
	s := jwk.NewSet()
	for _, k := range keys {
		_ = s.AddKey(k)
	}
	_ = s.Set(authverify.RealmIDMember, realmID)
	return s
}

// setOf returns the key set of realm acme (id "id-of-acme").
func setOf(keys ...jwk.Key) *authverify.KeySet {
	return authverify.FromJWKSet(jwkSet("id-of-acme", keys...))
}

// realmSet returns the key set of realm (id "id-of-<realm>").
func realmSet(realm string, keys ...jwk.Key) *authverify.KeySet {
	return authverify.FromJWKSet(jwkSet("id-of-"+realm, keys...))
}

func claims(realm string, mod func(jwt.Token)) jwt.Token {
	now := time.Now()
	tok := jwt.New()
	_ = tok.Set(jwt.IssuerKey, base+"/realms/"+realm)
	_ = tok.Set(jwt.SubjectKey, "user-1")
	_ = tok.Set(jwt.IssuedAtKey, now)
	_ = tok.Set(jwt.ExpirationKey, now.Add(5*time.Minute))
	_ = tok.Set(jwt.JwtIDKey, "jti-1")
	_ = tok.Set("typ", "Bearer")
	_ = tok.Set("azp", "app")
	_ = tok.Set("sid", "s-1")
	_ = tok.Set("scope", "openid profile")
	_ = tok.Set("realm", realm)
	_ = tok.Set("realm_id", "id-of-"+realm)
	_ = tok.Set("preferred_username", "alice")
	_ = tok.Set("realm_access", map[string]any{"roles": []string{"admin", "user"}})
	_ = tok.Set("resource_access", map[string]any{"app": map[string]any{"roles": []string{"reader"}}})
	if mod != nil {
		mod(tok)
	}
	return tok
}

func sign(t testing.TB, tok jwt.Token, key jwk.Key) string {
	t.Helper()
	b, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, key))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func b64(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerify(t *testing.T) {
	acme := newRSAKey(t, "acme-1")
	other := newRSAKey(t, "other-1")
	keys := authverify.StaticKeys{"acme": setOf(acme.pub), "other": realmSet("other", other.pub)}
	ctx := context.Background()
	v, err := authverify.New(ctx, base, authverify.WithKeySource(keys))
	if err != nil {
		t.Fatal(err)
	}

	valid := sign(t, claims("acme", nil), acme.priv)
	parts := strings.Split(valid, ".")
	payload, _ := json.Marshal(claims("acme", nil))

	// HS256 signed with the RSA public key's DER as the HMAC secret: the
	// classic algorithm-confusion forgery.
	der, _ := x509.MarshalPKIXPublicKey(&acme.raw.PublicKey)
	hsHeader := b64(map[string]string{"alg": "HS256", "kid": "acme-1", "typ": "JWT"})
	hsInput := hsHeader + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, der)
	mac.Write([]byte(hsInput))
	hsToken := hsInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))

	noneToken := b64(map[string]string{"alg": "none", "kid": "acme-1"}) + "." + base64.RawURLEncoding.EncodeToString(payload) + "."

	unknownKid := newRSAKey(t, "forged")
	tampered := parts[0] + "." + b64(claims("acme", func(tok jwt.Token) {
		_ = tok.Set("realm_access", map[string]any{"roles": []string{"admin", "superuser"}})
	})) + "." + parts[2]

	ecRaw, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecKey, _ := jwk.FromRaw(ecRaw)
	_ = ecKey.Set(jwk.KeyIDKey, "acme-1")
	ecSigned, _ := jwt.Sign(claims("acme", nil), jwt.WithKey(jwa.ES256, ecKey))

	tests := []struct {
		name  string
		token string
		ok    bool
		msg   string
	}{
		{"AcceptsValidToken", valid, true, ""},
		{"RejectsAlgNone", noneToken, false, "invalid token"},
		{"RejectsHS256SignedWithRSAPublicKey", hsToken, false, "invalid token"},
		{"RejectsES256TokenUnderRSAKid", string(ecSigned), false, "invalid token"},
		{"RejectsUnknownKid", sign(t, claims("acme", nil), unknownKid.priv), false, "invalid token"},
		{"RejectsExpiredToken", sign(t, claims("acme", func(tok jwt.Token) {
			_ = tok.Set(jwt.ExpirationKey, time.Now().Add(-time.Hour))
		}), acme.priv), false, "token expired"},
		{"RejectsNotYetValidToken", sign(t, claims("acme", func(tok jwt.Token) {
			_ = tok.Set(jwt.NotBeforeKey, time.Now().Add(time.Hour))
		}), acme.priv), false, "invalid token"},
		{"RejectsTokenOfAnotherRealmsKey", sign(t, claims("acme", nil), other.priv), false, "invalid token"},
		{"RejectsForeignIssuerBase", sign(t, claims("acme", func(tok jwt.Token) {
			_ = tok.Set(jwt.IssuerKey, "https://evil.example.com/realms/acme")
		}), acme.priv), false, "invalid token"},
		{"RejectsRealmClaimMismatch", sign(t, claims("acme", func(tok jwt.Token) {
			_ = tok.Set("realm", "other")
		}), acme.priv), false, "invalid token"},
		{"RejectsTamperedPayload", tampered, false, "invalid token"},
		{"RejectsRefreshToken", sign(t, claims("acme", func(tok jwt.Token) { _ = tok.Set("typ", "Refresh") }), acme.priv), false, "invalid token"},
		{"RejectsIDToken", sign(t, claims("acme", func(tok jwt.Token) { _ = tok.Set("typ", "ID") }), acme.priv), false, "invalid token"},
		{"RejectsGarbage", "not.a.jwt", false, "invalid token"},
		{"RejectsEmpty", "", false, "invalid token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(ctx, tt.token)
			if tt.ok {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if p.Subject != "user-1" || p.Realm != "acme" || p.ClientID != "app" || p.SessionID != "s-1" ||
					!p.HasRole("admin") || !p.HasScope("profile") || p.ClientRoles["app"][0] != "reader" || p.Username != "alice" {
					t.Fatalf("principal = %+v", p)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %+v", p)
			}
			if iam.ErrorCode(err) != iam.CodeUnauthenticated || iam.ErrorMessage(err) != tt.msg {
				t.Fatalf("err = %v (code %s, message %q)", err, iam.ErrorCode(err), iam.ErrorMessage(err))
			}
		})
	}
}

func TestVerifyForRealmRejectsOtherRealm(t *testing.T) {
	acme := newRSAKey(t, "acme-1")
	ctx := context.Background()
	v, _ := authverify.New(ctx, base, authverify.WithKeySource(authverify.StaticKeys{"acme": setOf(acme.pub)}))
	tok := sign(t, claims("acme", nil), acme.priv)
	if _, err := v.VerifyForRealm(ctx, tok, "acme"); err != nil {
		t.Fatal(err)
	}
	if _, err := v.VerifyForRealm(ctx, tok, "other"); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("err = %v", err)
	}
}

type revoked map[string]bool

func (r revoked) Revoked(_ context.Context, _ iam.Realm, jti, sid string, _ time.Time) (bool, error) {
	return r[jti] || r["sid:"+sid], nil
}

func TestVerifyRejectsRevokedJTI(t *testing.T) {
	acme := newRSAKey(t, "acme-1")
	ctx := context.Background()
	v, _ := authverify.New(ctx, base,
		authverify.WithKeySource(authverify.StaticKeys{"acme": setOf(acme.pub)}),
		authverify.WithRevocationChecker(revoked{"jti-1": true}))
	if _, err := v.Verify(ctx, sign(t, claims("acme", nil), acme.priv)); err == nil {
		t.Fatal("revoked token accepted")
	}
	fresh := sign(t, claims("acme", func(tok jwt.Token) { _ = tok.Set(jwt.JwtIDKey, "jti-2") }), acme.priv)
	if _, err := v.Verify(ctx, fresh); err != nil {
		t.Fatalf("unrevoked token rejected: %v", err)
	}
	endedSession := sign(t, claims("acme", func(tok jwt.Token) {
		_ = tok.Set(jwt.JwtIDKey, "jti-3")
		_ = tok.Set("sid", "ended")
	}), acme.priv)
	v2, _ := authverify.New(ctx, base,
		authverify.WithKeySource(authverify.StaticKeys{"acme": setOf(acme.pub)}),
		authverify.WithRevocationChecker(revoked{"sid:ended": true}))
	if _, err := v2.Verify(ctx, endedSession); err == nil {
		t.Fatal("token of an ended session accepted")
	}
}

func TestVerifyRequiresAudienceWhenConfigured(t *testing.T) {
	acme := newRSAKey(t, "acme-1")
	ctx := context.Background()
	v, _ := authverify.New(ctx, base, authverify.WithAudience("orders-api"),
		authverify.WithKeySource(authverify.StaticKeys{"acme": setOf(acme.pub)}))
	if _, err := v.Verify(ctx, sign(t, claims("acme", nil), acme.priv)); err == nil {
		t.Fatal("token without the audience accepted")
	}
	withAud := sign(t, claims("acme", func(tok jwt.Token) { _ = tok.Set(jwt.AudienceKey, []string{"orders-api"}) }), acme.priv)
	if _, err := v.Verify(ctx, withAud); err != nil {
		t.Fatal(err)
	}
}

func TestHTTPKeySourceFetchesJWKSAndRefreshesOnNewKid(t *testing.T) {
	k1, k2 := newRSAKey(t, "k1"), newRSAKey(t, "k2")
	var current atomic.Value
	current.Store(jwkSet("id-of-acme", k1.pub))
	var fetches, requests atomic.Int32
	var srvURL string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		if r.URL.Path != "/realms/acme/protocol/openid-connect/certs" {
			http.NotFound(w, r)
			return
		}
		fetches.Add(1)
		_ = json.NewEncoder(w).Encode(current.Load())
	}))
	defer srv.Close()
	srvURL = srv.URL
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	v, err := authverify.New(ctx, srvURL, authverify.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	issue := func(k realmKey) string {
		tok := claims("acme", func(tok jwt.Token) { _ = tok.Set(jwt.IssuerKey, srvURL+"/realms/acme") })
		return sign(t, tok, k.priv)
	}
	if _, err := v.Verify(ctx, issue(k1)); err != nil {
		t.Fatalf("k1: %v", err)
	}
	current.Store(jwkSet("id-of-acme", k1.pub, k2.pub)) // rotation publishes k2
	if _, err := v.Verify(ctx, issue(k2)); err != nil {
		t.Fatalf("k2 after rotation: %v", err)
	}
	before := fetches.Load()
	for i := 0; i < 20; i++ { // forged kids must not hammer the issuer
		_, _ = v.Verify(ctx, issue(newRSAKeyFast(t, k1)))
	}
	if fetches.Load()-before > 1 {
		t.Fatalf("%d JWKS fetches for forged kids; want at most 1", fetches.Load()-before)
	}

	// Made-up realms are never registered, and a failed fetch is not
	// repeated for every token.
	before = requests.Load()
	bogus := claims("nope", func(tok jwt.Token) { _ = tok.Set(jwt.IssuerKey, srvURL+"/realms/nope") })
	for i := 0; i < 10; i++ {
		_, err := v.Verify(ctx, sign(t, bogus, k1.priv))
		if iam.ErrorCode(err) != iam.CodeUnauthenticated {
			t.Fatalf("token of an unknown realm: %v, want unauthenticated", err)
		}
	}
	if got := requests.Load() - before; got != 1 {
		t.Fatalf("unknown realm: %d JWKS requests for ten tokens, want 1", got)
	}
}

// newRSAKeyFast reuses k's RSA key under a random kid.
func newRSAKeyFast(t *testing.T, k realmKey) realmKey {
	t.Helper()
	priv, _ := jwk.FromRaw(k.raw)
	_ = priv.Set(jwk.KeyIDKey, "forged-"+iam.NewID())
	_ = priv.Set(jwk.AlgorithmKey, jwa.RS256)
	return realmKey{priv: priv, raw: k.raw}
}

func TestMiddleware(t *testing.T) {
	acme := newRSAKey(t, "acme-1")
	ctx := context.Background()
	v, _ := authverify.New(ctx, base, authverify.WithKeySource(authverify.StaticKeys{"acme": setOf(acme.pub)}))
	var seen *iam.Principal
	h := v.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = iam.PrincipalFrom(r.Context())
	}))
	tests := []struct {
		name   string
		header string
		status int
		authed bool
	}{
		{"AnonymousPassesThrough", "", 200, false},
		{"ValidBearerSetsPrincipal", "Bearer " + sign(t, claims("acme", nil), acme.priv), 200, true},
		{"InvalidBearerIs401", "Bearer abc.def.ghi", 401, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen = nil
			req := httptest.NewRequest("GET", "/", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || (seen != nil) != tt.authed {
				t.Fatalf("status %d, principal %+v", rec.Code, seen)
			}
			if tt.status == 401 && !strings.Contains(rec.Header().Get("WWW-Authenticate"), "invalid_token") {
				t.Fatalf("WWW-Authenticate = %q", rec.Header().Get("WWW-Authenticate"))
			}
		})
	}
}

// failingChecker is a revocation list that cannot be read.
type failingChecker struct{}

func (failingChecker) Revoked(context.Context, iam.Realm, string, string, time.Time) (bool, error) {
	return false, errors.New("redis: i/o timeout")
}

func TestVerifyFailsClosedWhenTheRevocationListIsUnavailable(t *testing.T) {
	acme := newRSAKey(t, "acme-1")
	ctx := context.Background()
	v, _ := authverify.New(ctx, base,
		authverify.WithKeySource(authverify.StaticKeys{"acme": setOf(acme.pub)}),
		authverify.WithRevocationChecker(failingChecker{}))
	_, err := v.Verify(ctx, sign(t, claims("acme", nil), acme.priv))
	if iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("err = %v, want unavailable (503), never acceptance", err)
	}
	h := v.Middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { t.Fatal("request passed") }))
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Bearer "+sign(t, claims("acme", nil), acme.priv))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("middleware answered %d, want 503", rec.Code)
	}
}
