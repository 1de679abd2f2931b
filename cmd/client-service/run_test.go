package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jwt"

	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// lines is an io.Writer that hands each write to a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) { l <- string(p); return len(p), nil }

// issuer serves a JWKS for realm master and signs access tokens with it.
type issuer struct {
	srv *httptest.Server
	key jwk.Key
}

func newIssuer(t *testing.T) *issuer {
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
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/realms/master/protocol/openid-connect/certs" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	return &issuer{srv: srv, key: key}
}

// token returns an access token of master with realm roles.
func (i *issuer) token(t *testing.T, roles ...string) string {
	t.Helper()
	tok, err := jwt.NewBuilder().Issuer(i.srv.URL + "/realms/master").Subject("root").
		IssuedAt(time.Now()).Expiration(time.Now().Add(time.Hour)).JwtID(iam.NewID()).Build()
	if err != nil {
		t.Fatal(err)
	}
	_ = tok.Set("typ", "Bearer")
	_ = tok.Set("realm_access", map[string]any{"roles": roles})
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256, i.key))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestMigrateOnly(t *testing.T) {
	dsn := iamtest.PostgresURL(t)
	out := make(lines, 4)
	// -migrate-only needs neither the issuer nor the secret key.
	err := run(context.Background(), []string{"-migrate-only"}, env(map[string]string{"OPENGATE_POSTGRES_URL": dsn}), out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM clients WHERE realm_name = 'master'`).Scan(&n); err != nil {
		t.Fatalf("clients table missing after -migrate-only: %v", err)
	}
}

func TestRequiredConfiguration(t *testing.T) {
	key := iamcrypto.EncodeKey(iamcrypto.GenerateKey())
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NoPostgres", map[string]string{"OPENGATE_ISSUER_BASE": "http://x", "OPENGATE_SECRET_KEY": key}, "OPENGATE_POSTGRES_URL"},
		{"NoIssuer", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_SECRET_KEY": key}, "OPENGATE_ISSUER_BASE"},
		{"NoSecretKey", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x"}, "OPENGATE_SECRET_KEY is required"},
		{"BadSecretKey", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x",
			"OPENGATE_SECRET_KEY": "too-short"}, "OPENGATE_SECRET_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), nil, env(tt.env), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run = %v, want an error naming %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "too-short") {
				t.Fatalf("error repeats the key: %v", err)
			}
		})
	}
}

func TestServes(t *testing.T) {
	dsn := iamtest.PostgresURL(t)
	seeds := iamtest.Kafka(t, iam.TopicRealmCreated, iam.TopicRealmDeleted, iam.TopicClientCreated, iam.TopicClientUpdated, iam.TopicClientDeleted)
	iss := newIssuer(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(lines, 4)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-instance", "test"}, env(map[string]string{
			"OPENGATE_POSTGRES_URL":  dsn,
			"OPENGATE_ISSUER_BASE":   iss.srv.URL,
			"OPENGATE_KAFKA_BROKERS": strings.Join(seeds, ","),
			"OPENGATE_SERVICE_TOKEN": "svc-token",
			"OPENGATE_SECRET_KEY":    iamcrypto.EncodeKey(iamcrypto.GenerateKey()),
		}), out, io.Discard)
	}()
	var base string
	select {
	case line := <-out:
		_, addr, ok := strings.Cut(strings.TrimSpace(line), "listening on ")
		if !ok {
			t.Fatalf("unexpected output %q", line)
		}
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("run ended early: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run = %v", err)
		}
	})

	call := func(method, path, token, body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(raw)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if resp, _ := call("GET", path, "", ""); resp.StatusCode != 200 {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
	}
	admin := iss.token(t, iam.RoleAdmin)
	// master's admin-cli exists from the first start.
	if resp, body := call("GET", "/admin/realms/master/clients?clientId=admin-cli", admin, ""); resp.StatusCode != 200 || !strings.Contains(body, `"publicClient":true`) {
		t.Fatalf("admin-cli = %d %s", resp.StatusCode, body)
	}
	body := `{"clientId":"web","redirectUris":["https://app.test/cb"],"secret":"the-right-secret-0123456789"}`
	if resp, _ := call("POST", "/admin/realms/acme/clients", "", body); resp.StatusCode != 401 {
		t.Fatalf("anonymous POST = %d, want 401", resp.StatusCode)
	}
	if resp, _ := call("POST", "/admin/realms/acme/clients", iss.token(t, "user"), body); resp.StatusCode != 403 {
		t.Fatalf("non-admin POST = %d, want 403", resp.StatusCode)
	}
	if resp, _ := call("POST", "/admin/realms/acme/clients", admin, body); resp.StatusCode != 201 {
		t.Fatalf("admin POST = %d, want 201", resp.StatusCode)
	}
	if resp, _ := call("POST", "/admin/realms/acme/clients", admin, body); resp.StatusCode != 409 {
		t.Fatalf("duplicate POST = %d, want 409", resp.StatusCode)
	}

	// The internal API authenticates clients for the auth service.
	remote := clientshttp.NewClient(base, "svc-token")
	if c, err := remote.Authenticate(ctx, "acme", "web", "the-right-secret-0123456789"); err != nil || c.ClientID != "web" {
		t.Fatalf("internal Authenticate = %+v, %v", c, err)
	}
	if _, err := remote.Authenticate(ctx, "acme", "web", "wrong"); iam.ErrorCode(err) != iam.CodeUnauthenticated {
		t.Fatalf("wrong secret: %v", err)
	}

	// The consumer creates admin-cli in a new realm (realm.created from Kafka).
	pub, err := iamkafka.OpenPublisher(seeds)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	e, _ := iam.NewEvent("/opengate/realms", iam.TopicRealmCreated, "beta", "beta", map[string]string{"name": "beta"})
	if err := pub.Publish(ctx, e); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := remote.GetByClientID(ctx, "beta", "admin-cli"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("realm.created was not consumed")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
