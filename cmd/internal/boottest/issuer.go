package boottest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// Issuer stands in for the auth service: it serves one RS256 key as the
// certs of every realm ({URL}/realms/{realm}/protocol/openid-connect/certs),
// with the realm's id RealmID(realm), signs access tokens with it, and keeps
// auth's revocation list in the test Redis under a prefix of its own (Env
// gives a binary the settings to read it).
type Issuer struct {
	srv      *httptest.Server
	key      jwk.Key
	redisURL string
	prefix   string
	tokens   *authredis.Store

	mu       sync.Mutex
	realmIDs map[string]string // realm → id, where SetRealmID set one
	path     string            // SetPath's relative path, "" for none
}

// NewIssuer starts an Issuer that stops when the test ends.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwk.FromRaw(raw)
	if err != nil {
		t.Fatal(err)
	}
	_ = key.Set(jwk.KeyIDKey, "k1")
	_ = key.Set(jwk.AlgorithmKey, jwa.RS256)
	pub, err := key.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	iss := &Issuer{key: key, realmIDs: map[string]string{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, iss.relativePath())
		realm, ok := strings.CutSuffix(strings.TrimPrefix(path, "/realms/"), "/protocol/openid-connect/certs")
		if !ok || strings.Contains(realm, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []jwk.Key{pub}, "realm_id": iss.realmID(realm)})
	}))
	t.Cleanup(srv.Close)
	rc, prefix := iamtest.Redis(t)
	iss.srv, iss.redisURL, iss.prefix = srv, iamtest.RedisURL(t), prefix
	iss.tokens = authredis.New(rc, authredis.WithPrefix(prefix))
	return iss
}

// SetPath makes the issuer a deployment's with OPENGATE_HTTP_RELATIVE_PATH
// path ("/auth"): tokens minted from now on name {URL}{path}/realms/{realm}
// as their issuer, and the certs are served under path too. Give the
// binary under test the same OPENGATE_HTTP_RELATIVE_PATH.
func (i *Issuer) SetPath(path string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.path = path
}

func (i *Issuer) relativePath() string {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.path
}

// SetRealmID makes id the immutable id of realm in the JWKS and in the
// tokens minted from now on (RealmID(realm) until then).
func (i *Issuer) SetRealmID(realm, id string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.realmIDs[realm] = id
}

func (i *Issuer) realmID(realm string) string {
	i.mu.Lock()
	defer i.mu.Unlock()
	if id, ok := i.realmIDs[realm]; ok {
		return id
	}
	return RealmID(realm)
}

// Env returns env with the issuer's settings added: OPENGATE_ISSUER_BASE,
// OPENGATE_REDIS_URL and OPENGATE_REDIS_PREFIX.
func (i *Issuer) Env(env map[string]string) map[string]string {
	out := map[string]string{"OPENGATE_ISSUER_BASE": i.URL(), "OPENGATE_REDIS_URL": i.redisURL, "OPENGATE_REDIS_PREFIX": i.prefix}
	for k, v := range env {
		out[k] = v
	}
	return out
}

// Revoke puts token (one of Token's) on the revocation list, as auth's
// revocation endpoint does.
func (i *Issuer) Revoke(t testing.TB, token string) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a token: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct {
		ID    string `json:"jti"`
		Realm string `json:"realm"`
	}
	if err != nil || json.Unmarshal(raw, &c) != nil {
		t.Fatalf("token payload: %v", err)
	}
	if err := i.tokens.RevokeAccessToken(context.Background(), iam.Realm(c.Realm), c.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
}

// URL is the issuer base: the OPENGATE_ISSUER_BASE of the binary under test.
func (i *Issuer) URL() string { return i.srv.URL }

// RealmID is the immutable id an Issuer gives realm unless SetRealmID
// says otherwise.
func RealmID(realm string) string { return "id-of-" + realm }

// Token returns a signed access token of realm for subject, valid for an
// hour, with roles as its realm roles (realm_access.roles). Like auth, it
// makes sure the realm has a revocation epoch first.
func (i *Issuer) Token(t testing.TB, realm, subject string, roles ...string) string {
	t.Helper()
	if err := i.tokens.EnsureEpoch(context.Background(), iam.Realm(realm)); err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.NewBuilder().Issuer(i.srv.URL + i.relativePath() + "/realms/" + realm).Subject(subject).
		IssuedAt(time.Now()).Expiration(time.Now().Add(time.Hour)).JwtID(iam.NewID()).Build()
	if err != nil {
		t.Fatal(err)
	}
	_ = tok.Set("typ", "Bearer")
	_ = tok.Set("realm", realm)
	_ = tok.Set("realm_id", i.realmID(realm))
	_ = tok.Set("realm_access", map[string]any{"roles": roles})
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, i.key))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}
