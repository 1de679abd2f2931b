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

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/users/usershttp"
)

const svcToken = "svc-token"

// lines is an io.Writer that hands each write to a channel.
type lines chan string

func (l lines) Write(p []byte) (int, error) { l <- string(p); return len(p), nil }

// issuer serves one JWKS for every realm and signs access tokens with it.
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
		if !strings.HasSuffix(r.URL.Path, "/protocol/openid-connect/certs") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	return &issuer{srv: srv, key: key}
}

// token returns an access token of realm for subject with realm roles.
func (i *issuer) token(t *testing.T, realm, subject string, roles ...string) string {
	t.Helper()
	tok, err := jwt.NewBuilder().Issuer(i.srv.URL + "/realms/" + realm).Subject(subject).
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

// realmService serves master and acme through the real realms handler.
func realmService(t *testing.T) string {
	t.Helper()
	svc := realms.New(realmsmem.New(nil))
	ctx := context.Background()
	if _, err := svc.EnsureMaster(ctx); err != nil {
		t.Fatal(err)
	}
	acme := realms.Realm{Name: "acme", Enabled: true}
	acme.PasswordPolicy.HashIterations, acme.PasswordPolicy.HashMemoryKiB = 1, 7168
	if _, err := svc.Create(ctx, acme); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(realmshttp.NewHandler(svc, realmshttp.WithServiceToken(svcToken)))
	t.Cleanup(srv.Close)
	return srv.URL
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestMigrateOnly(t *testing.T) {
	dsn := iamtest.PostgresURL(t)
	out := make(lines, 4)
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
	if err := conn.QueryRow(context.Background(), `SELECT count(*) FROM users`).Scan(&n); err != nil {
		t.Fatalf("users table missing after -migrate-only: %v", err)
	}
}

func TestRequiredConfiguration(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NoPostgres", map[string]string{"OPENGATE_ISSUER_BASE": "http://x"}, "OPENGATE_POSTGRES_URL"},
		{"NoIssuer", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x"}, "OPENGATE_ISSUER_BASE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), nil, env(tt.env), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestServes(t *testing.T) {
	dsn := iamtest.PostgresURL(t)
	seeds := iamtest.Kafka(t, iam.TopicRealmDeleted, iam.TopicRealmUpdated, iam.TopicUserCreated, iam.TopicUserDeleted)
	iss := newIssuer(t)
	realmsURL := realmService(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := make(lines, 8)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-instance", "test"}, env(map[string]string{
			"OPENGATE_POSTGRES_URL":   dsn,
			"OPENGATE_ISSUER_BASE":    iss.srv.URL,
			"OPENGATE_KAFKA_BROKERS":  strings.Join(seeds, ","),
			"OPENGATE_SERVICE_TOKEN":  svcToken,
			"OPENGATE_REALMS_URL":     realmsURL,
			"OPENGATE_ADMIN_PASSWORD": "bootstrap-pw",
		}), out, io.Discard)
	}()
	var base string
	for base == "" {
		select {
		case line := <-out:
			if _, addr, ok := strings.Cut(strings.TrimSpace(line), "listening on "); ok {
				base = "http://" + addr
			}
		case err := <-done:
			t.Fatalf("run ended early: %v", err)
		}
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
	admin := iss.token(t, "master", "root", iam.RoleAdmin)
	body := `{"username":"alice","email":"alice@example.com","enabled":true,"credentials":[{"type":"password","value":"alice-pw"}]}`
	if resp, _ := call("POST", "/admin/realms/acme/users", "", body); resp.StatusCode != 401 {
		t.Fatalf("anonymous POST = %d, want 401", resp.StatusCode)
	}
	resp, _ := call("POST", "/admin/realms/acme/users", admin, body)
	if resp.StatusCode != 201 {
		t.Fatalf("admin POST = %d, want 201", resp.StatusCode)
	}
	id := resp.Header.Get("Location")[strings.LastIndexByte(resp.Header.Get("Location"), '/')+1:]
	if resp, n := call("GET", "/admin/realms/acme/users/count", admin, ""); resp.StatusCode != 200 || strings.TrimSpace(n) != "1" {
		t.Fatalf("count = %d %q", resp.StatusCode, n)
	}
	if resp, _ := call("GET", "/admin/realms/missing/users", admin, ""); resp.StatusCode != 404 {
		t.Fatalf("missing realm = %d, want 404", resp.StatusCode)
	}

	// The account API answers the user's own token.
	if resp, b := call("GET", "/realms/acme/account", iss.token(t, "acme", id), ""); resp.StatusCode != 200 || !strings.Contains(b, `"alice"`) {
		t.Fatalf("account = %d %s", resp.StatusCode, b)
	}

	// The internal API authenticates with the service token.
	client := usershttp.NewClient(base, svcToken)
	if u, err := client.Authenticate(ctx, "acme", "alice", "alice-pw"); err != nil || u.ID != id {
		t.Fatalf("internal Authenticate = %+v, %v", u, err)
	}

	// The bootstrap administrator appears in master.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, err := client.GetByUsername(ctx, iam.MasterRealm, "admin"); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("bootstrap administrator not created")
		}
		time.Sleep(100 * time.Millisecond)
	}

	// The outbox relay publishes user.created to Kafka.
	sub := iamkafka.NewSubscriber(seeds)
	relayed := make(chan iam.Event, 4)
	subCtx, stopSub := context.WithCancel(ctx)
	defer stopSub()
	go func() {
		_ = sub.Subscribe(subCtx, "test", []string{iam.TopicUserCreated}, func(_ context.Context, e iam.Event) error {
			if e.Realm == "acme" {
				select {
				case relayed <- e:
				default:
				}
			}
			return nil
		})
	}()
	select {
	case e := <-relayed:
		if e.Subject != id || e.Source != "/opengate/users" {
			t.Fatalf("relayed event = %+v", e)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("user.created was not relayed to Kafka")
	}

	// The consumer deletes the users of a deleted realm.
	pub, err := iamkafka.OpenPublisher(seeds)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	e, _ := iam.NewEvent("/opengate/realms", iam.TopicRealmDeleted, "acme", "acme", map[string]string{"name": "acme"})
	if err := pub.Publish(ctx, e); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(60 * time.Second)
	for {
		if _, n := call("GET", "/admin/realms/acme/users/count", admin, ""); strings.TrimSpace(n) == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("realm.deleted was not consumed")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
