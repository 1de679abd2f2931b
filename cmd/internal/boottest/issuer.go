package boottest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/opengate-iam/opengate/iam"
)

// Issuer stands in for the auth service: it serves one RS256 key as the
// certs of every realm ({URL}/realms/{realm}/protocol/openid-connect/certs),
// with the realm's id RealmID(realm), and signs access tokens with it.
type Issuer struct {
	srv *httptest.Server
	key jwk.Key
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
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		realm, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/realms/"), "/protocol/openid-connect/certs")
		if !ok || strings.Contains(realm, "/") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []jwk.Key{pub}, "realm_id": RealmID(realm)})
	}))
	t.Cleanup(srv.Close)
	return &Issuer{srv: srv, key: key}
}

// URL is the issuer base: the OPENGATE_ISSUER_BASE of the binary under test.
func (i *Issuer) URL() string { return i.srv.URL }

// RealmID is the immutable id the Issuer gives realm.
func RealmID(realm string) string { return "id-of-" + realm }

// Token returns a signed access token of realm for subject, valid for an
// hour, with roles as its realm roles (realm_access.roles).
func (i *Issuer) Token(t testing.TB, realm, subject string, roles ...string) string {
	t.Helper()
	tok, err := jwt.NewBuilder().Issuer(i.srv.URL + "/realms/" + realm).Subject(subject).
		IssuedAt(time.Now()).Expiration(time.Now().Add(time.Hour)).JwtID(iam.NewID()).Build()
	if err != nil {
		t.Fatal(err)
	}
	_ = tok.Set("typ", "Bearer")
	_ = tok.Set("realm", realm)
	_ = tok.Set("realm_id", RealmID(realm))
	_ = tok.Set("realm_access", map[string]any{"roles": roles})
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, i.key))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}
