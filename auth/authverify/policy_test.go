package authverify_test

import (
	"context"
	"crypto"
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
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/auth/authmem"
	"github.com/opengate-iam/opengate/auth/authtest"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// The tests in this file run the same tokens through every verifier of
// OpenGate — auth's own (userinfo's VerifyAccessToken and introspection),
// authverify over the issuer's keys in the same process, and authverify
// over HTTP (JWKS) — and require identical outcomes.

// fixedClock is a settable time source shared by the issuer and the
// verifiers.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// issuer is auth with realm acme (RS256), served over HTTP, and every
// verifier of its tokens.
type issuer struct {
	t      testing.TB
	clock  *fixedClock
	dir    *authtest.Directory
	svc    *auth.Service
	tokens *authmem.Store
	keys   *authmem.KeyStore
	url    string
	local  *authverify.Verifier // over svc.JWKS and svc.RealmID
	remote *authverify.Verifier // over HTTP
	// cachedSvc and cachedLocal are svc and local with their verified-token
	// caches: each token goes through them twice, the second time from the
	// cache when the first accepted it.
	cachedSvc   *auth.Service
	cachedLocal *authverify.Verifier
}

func newIssuer(t testing.TB) *issuer {
	t.Helper()
	return newIssuerAt(t, "")
}

// newIssuerAt is newIssuer with issuer base base instead of the HTTP
// server's URL; the HTTP verifier then finds no keys (fuzzing uses the
// local one, with a base its seed corpus can name).
func newIssuerAt(t testing.TB, base string) *issuer {
	t.Helper()
	is := &issuer{t: t, clock: &fixedClock{now: time.Now().Truncate(time.Second)}, dir: authtest.NewDirectory(),
		keys: authmem.NewKeyStore()}
	is.tokens = authmem.New(authmem.WithClock(is.clock.Now))
	is.dir.PutRealm(realms.Realm{Name: "acme", Enabled: true, SigningAlgorithm: realms.AlgRS256,
		AccessTokenLifespan: 5 * time.Minute})
	is.dir.PutClient(clients.Client{ID: "c-app", Realm: "acme", ClientID: "app", Enabled: true,
		DirectAccessGrantsEnabled: true}, "app-secret")
	is.dir.PutUser(users.User{ID: "u-alice", Realm: "acme", Username: "alice", Enabled: true}, "alice-password")
	is.dir.SetRoles("acme", "u-alice", []string{"user"}, nil)

	var handler http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	is.url = srv.URL
	if base != "" {
		is.url = base
	}
	svc, err := is.dir.NewService(is.url, is.keys, is.tokens, auth.WithClock(is.clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	is.svc = svc
	if is.cachedSvc, err = is.dir.NewService(is.url, is.keys, is.tokens, auth.WithClock(is.clock.Now),
		auth.WithTokenCache(0)); err != nil {
		t.Fatal(err)
	}
	r := chi.NewRouter()
	authhttp.NewHandler(svc).MountPublic(r)
	handler = r

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	revocations := authverify.WithRevocationChecker(auth.Revocations{Store: is.tokens})
	if is.local, err = authverify.New(ctx, is.url, authverify.WithClock(is.clock.Now), revocations,
		authverify.WithKeySource(authverify.NewLocalKeys(svc.JWKS, 0)), authverify.WithRealmIDs(svc)); err != nil {
		t.Fatal(err)
	}
	if is.cachedLocal, err = authverify.New(ctx, is.url, authverify.WithClock(is.clock.Now), revocations,
		authverify.WithKeySource(authverify.NewLocalKeys(svc.JWKS, 0)), authverify.WithRealmIDs(svc),
		authverify.WithTokenCache(0)); err != nil {
		t.Fatal(err)
	}
	if is.remote, err = authverify.New(ctx, is.url, authverify.WithClock(is.clock.Now), revocations,
		authverify.WithHTTPClient(srv.Client())); err != nil {
		t.Fatal(err)
	}
	return is
}

// login returns a genuine access token of alice.
func (is *issuer) login() string {
	is.t.Helper()
	tok, err := is.svc.Token(context.Background(), auth.TokenRequest{Realm: "acme", GrantType: auth.GrantPassword,
		Client:   auth.ClientCredentials{ClientID: "app", Secret: "app-secret"},
		Username: "alice", Password: "alice-password", Scope: "openid"})
	if err != nil {
		is.t.Fatal(err)
	}
	return tok.AccessToken
}

// signingKey returns the realm's active private key.
func (is *issuer) signingKey() auth.Key {
	is.t.Helper()
	keys, err := is.keys.ListKeys(context.Background(), "acme")
	if err != nil || len(keys) == 0 {
		is.t.Fatalf("keys: %v, %v", keys, err)
	}
	return keys[0]
}

// outcome is what one verifier made of a token: "" for accepted, else the
// caller-visible description of the refusal.
type outcome struct {
	verifier string
	refused  string
}

// verifyAll runs token through every verifier.
func (is *issuer) verifyAll(token string) []outcome {
	is.t.Helper()
	ctx := context.Background()
	var out []outcome
	_, err := is.svc.VerifyAccessToken(ctx, "acme", token)
	out = append(out, outcome{"auth.VerifyAccessToken", authDescription(is.t, err)})
	in, err := is.svc.Introspect(ctx, auth.TokenRequestBase{Realm: "acme",
		Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"}, Token: token})
	if err != nil {
		is.t.Fatalf("introspection failed: %v", err)
	}
	active := ""
	if !in.Active {
		active = "inactive"
	}
	out = append(out, outcome{"auth.Introspect", active})
	for _, v := range []struct {
		name string
		v    *authverify.Verifier
	}{{"authverify local", is.local}, {"authverify HTTP", is.remote}} {
		_, err := v.v.Verify(ctx, token)
		out = append(out, outcome{v.name, verifierDescription(is.t, err)})
	}
	for _, try := range []string{"", " again (cached)"} {
		_, err := is.cachedSvc.VerifyAccessToken(ctx, "acme", token)
		out = append(out, outcome{"auth.VerifyAccessToken with WithTokenCache" + try, authDescription(is.t, err)})
		_, err = is.cachedLocal.Verify(ctx, token)
		out = append(out, outcome{"authverify local with WithTokenCache" + try, verifierDescription(is.t, err)})
	}
	return out
}

// authDescription is auth's error_description of an invalid_token error.
func authDescription(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var oe *auth.OAuthError
	if !errors.As(err, &oe) || oe.Code != auth.ErrorInvalidToken {
		t.Fatalf("auth refused with %v, want invalid_token", err)
	}
	return iam.ErrorMessage(err)
}

// verifierDescription is the description of authverify's refusal reason.
func verifierDescription(t testing.TB, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var re *authjwt.Error
	if iam.ErrorCode(err) != iam.CodeUnauthenticated || !errors.As(err, &re) {
		t.Fatalf("authverify refused with %v, want unauthenticated with an authjwt reason", err)
	}
	return re.Message()
}

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func b64json(v any) string {
	raw, _ := json.Marshal(v)
	return b64url(raw)
}

// forger re-signs modified copies of a genuine token.
type forger struct {
	t      testing.TB
	header map[string]any
	claims map[string]any
	key    auth.Key
}

func newForger(t testing.TB, genuine string, key auth.Key) *forger {
	t.Helper()
	parts := strings.Split(genuine, ".")
	f := &forger{t: t, key: key}
	for i, dst := range []*map[string]any{&f.header, &f.claims} {
		raw, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(raw, dst) != nil {
			t.Fatalf("genuine token part %d: %v", i, err)
		}
	}
	return f
}

// token returns the genuine header and claims changed by edit, signed with
// the realm's key (RS256).
func (f *forger) token(edit func(header, claims map[string]any)) string {
	f.t.Helper()
	h, c := map[string]any{}, map[string]any{}
	for k, v := range f.header {
		h[k] = v
	}
	for k, v := range f.claims {
		c[k] = v
	}
	if edit != nil {
		edit(h, c)
	}
	input := b64json(h) + "." + b64json(c)
	digest := sha256.Sum256([]byte(input))
	sig, err := f.key.Private.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		f.t.Fatal(err)
	}
	return input + "." + b64url(sig)
}

// hs256 returns the claims signed with HMAC under the realm's RSA public key
// (DER): the classic algorithm-confusion forgery.
func (f *forger) hs256() string {
	f.t.Helper()
	der, err := x509.MarshalPKIXPublicKey(f.key.Private.Public())
	if err != nil {
		f.t.Fatal(err)
	}
	input := b64json(map[string]any{"alg": "HS256", "kid": f.key.ID, "typ": "JWT"}) + "." + b64json(f.claims)
	mac := hmac.New(sha256.New, der)
	mac.Write([]byte(input))
	return input + "." + b64url(mac.Sum(nil))
}

// es256 returns the claims signed by a new P-256 key under the realm key's
// kid and alg ES256.
func (f *forger) es256() string {
	f.t.Helper()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	input := b64json(map[string]any{"alg": "ES256", "kid": f.key.ID, "typ": "JWT"}) + "." + b64json(f.claims)
	digest := sha256.Sum256([]byte(input))
	r, s, _ := ecdsa.Sign(rand.Reader, k, digest[:])
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + b64url(sig)
}

// otherKey returns the claims signed by another RSA key under the realm
// key's kid.
func (f *forger) otherKey(kid string) string {
	f.t.Helper()
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	input := b64json(map[string]any{"alg": "RS256", "kid": kid, "typ": "JWT"}) + "." + b64json(f.claims)
	digest := sha256.Sum256([]byte(input))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, digest[:])
	return input + "." + b64url(sig)
}

func TestEveryVerifierAppliesTheSamePolicy(t *testing.T) {
	is := newIssuer(t)
	genuine := is.login()
	f := newForger(t, genuine, is.signingKey())
	now := is.clock.Now().Unix()
	at := func(offset time.Duration) float64 { return float64(now + int64(offset/time.Second)) }
	set := func(name string, v any) func(h, c map[string]any) {
		return func(_, c map[string]any) { c[name] = v }
	}
	del := func(name string) func(h, c map[string]any) {
		return func(_, c map[string]any) { delete(c, name) }
	}
	header := func(name string, v any) func(h, c map[string]any) {
		return func(h, _ map[string]any) {
			if v == nil {
				delete(h, name)
				return
			}
			h[name] = v
		}
	}
	ctx := context.Background()
	if err := is.tokens.RevokeAccessToken(ctx, "acme", "revoked-jti", time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := is.tokens.RevokeSession(ctx, "acme", "ended-sid", time.Hour); err != nil {
		t.Fatal(err)
	}
	refused := func(r authjwt.Reason) string { return (&authjwt.Error{Reason: r}).Message() }

	tests := []struct {
		name  string
		token string
		want  string // "" accepted, else the refusal's description
	}{
		{"GenuineTokenIsAccepted", genuine, ""},
		{"ResignedUnchangedIsAccepted", f.token(nil), ""},
		{"ExpiringInOneSecondIsAccepted", f.token(set("exp", at(time.Second))), ""},
		{"ExpiringNowIsRefused", f.token(set("exp", at(0))), refused(authjwt.ReasonExpired)},
		{"ExpiredByOneSecondIsRefused", f.token(set("exp", at(-time.Second))), refused(authjwt.ReasonExpired)},
		{"ExpiredWithinTheLeewayIsRefused", f.token(set("exp", at(-authjwt.Leeway/2))), refused(authjwt.ReasonExpired)},
		{"NbfWithinTheLeewayIsAccepted", f.token(set("nbf", at(authjwt.Leeway))), ""},
		{"NbfInTheFutureIsRefused", f.token(set("nbf", at(authjwt.Leeway+time.Second))), refused(authjwt.ReasonNotYetValid)},
		{"IatWithinTheLeewayIsAccepted", f.token(set("iat", at(authjwt.Leeway))), ""},
		{"IatInTheFutureIsRefused", f.token(set("iat", at(authjwt.Leeway+time.Second))), refused(authjwt.ReasonNotYetValid)},
		{"IDTokenTypIsRefused", f.token(set("typ", "ID")), refused(authjwt.ReasonType)},
		{"RefreshTypIsRefused", f.token(set("typ", "Refresh")), refused(authjwt.ReasonType)},
		{"MissingTypIsRefused", f.token(del("typ")), refused(authjwt.ReasonMissingClaim)},
		{"HeaderTypAtJWTIsAccepted", f.token(header("typ", "at+jwt")), ""},
		{"HeaderTypApplicationAtJWTIsAccepted", f.token(header("typ", "application/at+jwt")), ""},
		{"HeaderWithoutTypIsAccepted", f.token(header("typ", nil)), ""},
		{"HeaderTypOfAnotherKindIsRefused", f.token(header("typ", "dpop+jwt")), refused(authjwt.ReasonHeaderType)},
		{"WrongIssuerBaseIsRefused", f.token(set("iss", "https://evil.example.com/realms/acme")), refused(authjwt.ReasonIssuer)},
		{"IssuerOfAnotherRealmIsRefused", f.token(set("iss", is.url+"/realms/other")), refused(authjwt.ReasonIssuer)},
		{"RealmClaimOfAnotherRealmIsRefused", f.token(set("realm", "other")), refused(authjwt.ReasonIssuer)},
		{"RealmIDOfADeletedRealmIsRefused", f.token(set("realm_id", "id-of-a-deleted-acme")), refused(authjwt.ReasonRealmID)},
		{"MissingRealmIDIsRefused", f.token(del("realm_id")), refused(authjwt.ReasonMissingClaim)},
		{"MissingSubIsRefused", f.token(del("sub")), refused(authjwt.ReasonMissingClaim)},
		{"MissingJtiIsRefused", f.token(del("jti")), refused(authjwt.ReasonMissingClaim)},
		{"MissingExpIsRefused", f.token(del("exp")), refused(authjwt.ReasonMissingClaim)},
		{"MissingIatIsRefused", f.token(del("iat")), refused(authjwt.ReasonMissingClaim)},
		{"RevokedJtiIsRefused", f.token(set("jti", "revoked-jti")), refused(authjwt.ReasonRevoked)},
		{"TokenOfAnEndedSessionIsRefused", f.token(set("sid", "ended-sid")), refused(authjwt.ReasonRevoked)},
		{"AlgNoneIsRefused", b64json(map[string]any{"alg": "none", "kid": f.key.ID}) + "." + b64json(f.claims) + ".", refused(authjwt.ReasonAlgorithm)},
		{"HS256WithThePublicKeyIsRefused", f.hs256(), refused(authjwt.ReasonAlgorithm)},
		{"ES256UnderTheRSAKeyIsRefused", f.es256(), refused(authjwt.ReasonAlgorithm)},
		{"RS384UnderTheRS256KeyIsRefused", f.token(header("alg", "RS384")), refused(authjwt.ReasonAlgorithm)},
		{"AnotherKeyUnderTheRealmKidIsRefused", f.otherKey(f.key.ID), refused(authjwt.ReasonSignature)},
		{"MissingKidIsRefused", f.token(header("kid", nil)), refused(authjwt.ReasonNoKeyID)},
		{"UnknownKidIsRefused", f.otherKey("forged-kid"), refused(authjwt.ReasonUnknownKey)},
		{"TamperedPayloadIsRefused", strings.Split(genuine, ".")[0] + "." + b64json(f.claims) + "x." + strings.Split(genuine, ".")[2], refused(authjwt.ReasonMalformed)},
		{"CritHeaderIsRefused", f.token(header("crit", []string{"exp"})), refused(authjwt.ReasonMalformed)},
		{"PaddedSignatureIsRefused", genuine + "==", refused(authjwt.ReasonMalformed)},
		{"OversizedTokenIsRefused", f.token(set("pad", strings.Repeat("x", authjwt.MaxTokenBytes))), refused(authjwt.ReasonMalformed)},
		{"FractionalExpIsRefused", f.token(set("exp", at(time.Minute)+0.5)), refused(authjwt.ReasonMalformed)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, o := range is.verifyAll(tt.token) {
				want := tt.want
				if o.verifier == "auth.Introspect" && want != "" {
					want = "inactive"
				}
				if o.refused != want {
					t.Errorf("%s: refused = %q, want %q", o.verifier, o.refused, want)
				}
			}
		})
	}
}
