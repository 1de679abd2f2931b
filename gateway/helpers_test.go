package gateway_test

import (
	"context"
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
)

const issuerBase = "http://issuer.test"

// testKey is the issuer's RSA key, made once (key generation is slow).
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// otherKey signs forgeries with a key the issuer never published.
var otherKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// realmIDOf is the immutable id the test issuer gives a realm.
func realmIDOf(realm string) string { return "id-of-" + realm }

// newVerifier returns an authverify.Verifier for realms acme, beta and
// master, all signed with testKey under kid k1.
func newVerifier(t testing.TB) *authverify.Verifier {
	t.Helper()
	keys := authverify.StaticKeys{}
	for _, r := range []iam.Realm{"acme", "beta", "master"} {
		keys[r] = authverify.NewKeySet(realmIDOf(string(r)), authjwt.Key{ID: "k1", Algorithm: "RS256", Public: &testKey().PublicKey})
	}
	v, err := authverify.New(context.Background(), issuerBase, authverify.WithKeySource(keys))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// claims are a valid access token's claims of subject in realm, with roles
// and client azp; edit them to make a bad one.
func claims(realm, subject, azp string, roles ...string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": issuerBase + "/realms/" + realm, "sub": subject, "typ": "Bearer", "azp": azp,
		"realm": realm, "realm_id": realmIDOf(realm), "jti": iam.NewID(),
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"realm_access": map[string]any{"roles": roles},
	}
}

func b64(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// sign returns a JWS of c with header h, RS256-signed with key.
func sign(h map[string]any, c map[string]any, key *rsa.PrivateKey) string {
	input := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		panic(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// token returns a valid token of subject in realm with roles.
func token(realm, subject string, roles ...string) string {
	return sign(map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}, claims(realm, subject, "app", roles...), testKey())
}

// forgedTokens are tokens of realm acme every protected route must refuse
// with 401 invalid_token, by name.
func forgedTokens() map[string]string {
	rs := map[string]any{"alg": "RS256", "kid": "k1", "typ": "JWT"}
	expired := claims("acme", "alice", "app")
	expired["iat"], expired["exp"] = time.Now().Add(-2*time.Hour).Unix(), time.Now().Add(-time.Hour).Unix()
	wrongIssuer := claims("acme", "alice", "app")
	wrongIssuer["iss"] = "http://evil.test/realms/acme"
	otherRealmClaim := claims("acme", "alice", "app")
	otherRealmClaim["realm"] = "beta"
	// HS/RS confusion: HMAC-signed with the RSA public key's bytes as the
	// secret, a classic attack on verifiers that take alg from the token.
	pub, _ := x509.MarshalPKIXPublicKey(&testKey().PublicKey)
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})
	hsInput := b64(map[string]any{"alg": "HS256", "kid": "k1", "typ": "JWT"}) + "." + b64(claims("acme", "alice", "app"))
	mac := hmac.New(sha256.New, pemKey)
	mac.Write([]byte(hsInput))
	return map[string]string{
		"Expired":         sign(rs, expired, testKey()),
		"AlgNone":         b64(map[string]any{"alg": "none", "kid": "k1"}) + "." + b64(claims("acme", "alice", "app")) + ".",
		"HSRSConfusion":   hsInput + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil)),
		"UnknownKid":      sign(map[string]any{"alg": "RS256", "kid": "k9", "typ": "JWT"}, claims("acme", "alice", "app"), otherKey()),
		"ForeignKey":      sign(rs, claims("acme", "alice", "app"), otherKey()),
		"WrongIssuer":     sign(rs, wrongIssuer, testKey()),
		"OtherRealmClaim": sign(rs, otherRealmClaim, testKey()),
		"UnknownRealm":    sign(rs, claims("nowhere", "alice", "app"), testKey()),
		"Garbage":         "not-a-token",
		"TamperedPayload": tamper(token("acme", "alice")),
	}
}

// tamper swaps the payload of tok for one granting admin, keeping the
// signature.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	c := claims("acme", "alice", "app", "admin")
	return parts[0] + "." + b64(c) + "." + parts[2]
}

// seen is what the echo upstream reports about the request it got.
type seen struct {
	Upstream string              `json:"upstream"`
	Method   string              `json:"method"`
	Path     string              `json:"path"`
	RawPath  string              `json:"rawPath"`
	Query    string              `json:"query"`
	Header   map[string][]string `json:"header"`
	Body     string              `json:"body"`
	Subject  string              `json:"subject"`
}

// echo starts an upstream that answers every request with what it saw.
func echo(t testing.TB, name string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(echoHandler(name))
	t.Cleanup(srv.Close)
	return srv
}

func echoHandler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s := seen{Upstream: name, Method: r.Method, Path: r.URL.Path, RawPath: r.URL.RawPath, Query: r.URL.RawQuery,
			Header: r.Header, Body: string(body)}
		if p := iam.PrincipalFrom(r.Context()); p != nil {
			s.Subject = p.Subject
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s)
	})
}

// proxyTo returns the upstream proxied at srv.
func proxyTo(t testing.TB, name string, srv *httptest.Server) *gateway.Upstream {
	t.Helper()
	up, err := gateway.ProxyTo(name, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return up
}

// services starts one echo upstream per service and returns the default
// table's upstreams over them (all optional services included).
func services(t testing.TB) gateway.Upstreams {
	t.Helper()
	u := gateway.Upstreams{}
	for _, s := range []struct {
		name string
		up   **gateway.Upstream
	}{{"auth", &u.Auth}, {"realms", &u.Realms}, {"users", &u.Users}, {"rbac", &u.RBAC}, {"clients", &u.Clients},
		{"session", &u.Session}, {"mfa", &u.MFA}, {"notify", &u.Notify}} {
		*s.up = proxyTo(t, s.name, echo(t, s.name))
	}
	return u
}

// newGateway returns a gateway over the default routes of u with the test
// verifier and opts.
func newGateway(t testing.TB, u gateway.Upstreams, opts ...gateway.Option) *gateway.Gateway {
	t.Helper()
	routes, err := gateway.DefaultRoutes(u)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]gateway.Option{gateway.WithVerifier(newVerifier(t)), gateway.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	g, err := gateway.New(routes, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// request is one call to the gateway under test.
type request struct {
	method, path, token string
	header              http.Header
	body                string
	remote              string // RemoteAddr; default 192.0.2.10:1234
}

// do serves req through h in process and returns the recorded response.
func do(h http.Handler, req request) *httptest.ResponseRecorder {
	method := req.method
	if method == "" {
		method = http.MethodGet
	}
	var body io.Reader
	if req.body != "" {
		body = strings.NewReader(req.body)
	}
	r := httptest.NewRequest(method, "http://gateway.test"+req.path, body)
	r.RemoteAddr = "192.0.2.10:1234"
	if req.remote != "" {
		r.RemoteAddr = req.remote
	}
	for k, v := range req.header {
		r.Header[k] = v
	}
	if req.token != "" {
		r.Header.Set("Authorization", "Bearer "+req.token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// seenBy decodes the echo upstream's answer.
func seenBy(t testing.TB, rec *httptest.ResponseRecorder) seen {
	t.Helper()
	var s seen
	if rec.Code != 200 {
		t.Fatalf("status %d %s, want the upstream's 200", rec.Code, rec.Body)
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &s); err != nil || s.Upstream == "" {
		t.Fatalf("not the upstream's answer: %s (%v)", rec.Body, err)
	}
	return s
}

// quiet discards the gateway's log.
var quiet = gateway.WithLogger(slog.New(slog.DiscardHandler))
