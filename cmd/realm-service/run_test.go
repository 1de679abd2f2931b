package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/realms/realmshttp"
)

func TestMigrateOnly(t *testing.T) {
	pg := boottest.NewPostgres(t, "realms")
	dsn := pg.DSN
	err := run(context.Background(), []string{"-migrate-only"}, boottest.Env(map[string]string{"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix}), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	n, err := boottest.Count(t, dsn, `SELECT count(*) FROM realms`)
	if err != nil {
		t.Fatalf("realms table missing after -migrate-only: %v", err)
	}
	if n != 0 {
		t.Fatalf("-migrate-only created %d realms", n)
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
		{"NoSecretKey", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x", "OPENGATE_REDIS_URL": "redis://x"}, "OPENGATE_SECRET_KEY is required"},
		{"BadSecretKey", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x", "OPENGATE_REDIS_URL": "redis://x",
			"OPENGATE_SECRET_KEY": "too-short"}, "OPENGATE_SECRET_KEY"},
		{"NoRedis", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x"}, "OPENGATE_REDIS_URL is required"},
		{"NoKafka", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x", "OPENGATE_REDIS_URL": "redis://x",
			"OPENGATE_SECRET_KEY": iamcrypto.EncodeKey(iamcrypto.GenerateKey())}, "OPENGATE_KAFKA_BROKERS is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), nil, boottest.Env(tt.env), io.Discard, io.Discard)
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
	pg := boottest.NewPostgres(t, "realms")
	seeds := iamtest.Kafka(t, iam.TopicRealmCreated, iam.TopicRealmUpdated, iam.TopicRealmDeleted)
	iss := boottest.NewIssuer(t)
	peers := boottest.StartPeers(t, "svc-token", nil)
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0", "-instance", "test"}, peers.Env(iss.Env(map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix,
		"OPENGATE_KAFKA_BROKERS": strings.Join(seeds, ","),
		"OPENGATE_SERVICE_TOKEN": "svc-token",
		"OPENGATE_SECRET_KEY":    iamcrypto.EncodeKey(iamcrypto.GenerateKey()),
	})))
	if len(srv.Output) != 1 {
		t.Fatalf("unexpected output %q", srv.Output)
	}
	srv.GetOK(t, "/healthz", "/readyz", "/metrics")
	root := peers.User(t, iam.MasterRealm, "root", iam.RoleAdmin)
	admin := iss.Token(t, "master", root, iam.RoleAdmin)
	// The master realm exists from the first start.
	if resp, _ := srv.Call(t, "GET", "/admin/realms/master", admin, ""); resp.StatusCode != 200 {
		t.Fatalf("GET master = %d", resp.StatusCode)
	}
	body := `{"realm":"acme","enabled":true,"smtpServer":{"host":"mx","from":"a@acme.test","user":"u","password":"pw"}}`
	if resp, _ := srv.Call(t, "POST", "/admin/realms", "", body); resp.StatusCode != 401 {
		t.Fatalf("anonymous POST = %d, want 401", resp.StatusCode)
	}
	if resp, _ := srv.Call(t, "POST", "/admin/realms", iss.Token(t, "master", peers.User(t, iam.MasterRealm, "plain"), "user"), body); resp.StatusCode != 403 {
		t.Fatalf("non-admin POST = %d, want 403", resp.StatusCode)
	}
	if resp, _ := srv.Call(t, "POST", "/admin/realms", admin, body); resp.StatusCode != 201 {
		t.Fatalf("admin POST = %d, want 201", resp.StatusCode)
	}
	if resp, _ := srv.Call(t, "DELETE", "/admin/realms/master", admin, ""); resp.StatusCode != 400 {
		t.Fatalf("DELETE master = %d, want 400", resp.StatusCode)
	}

	// The internal API answers other services, with the SMTP password.
	r, err := realmshttp.NewClient(srv.URL, "svc-token").Get(context.Background(), "acme")
	if err != nil || r.SMTP.Password != "pw" || !r.Enabled {
		t.Fatalf("internal Get = %+v, %v", r, err)
	}

	// The outbox relay publishes realm.created to Kafka.
	relayed := boottest.Events(t, seeds, iam.TopicRealmCreated)
	seen := map[iam.Realm]bool{}
	timeout := time.After(60 * time.Second)
	for !seen["master"] || !seen["acme"] {
		select {
		case e := <-relayed:
			if e.Source != "/opengate/realms" {
				t.Fatalf("relayed event = %+v", e)
			}
			seen[e.Realm] = true
		case <-timeout:
			t.Fatalf("realm.created not relayed to Kafka; seen %v", seen)
		}
	}
}

// The binary's verifier reads auth's revocation list (a revoked token is
// refused at once) and follows realm.deleted: a deleted realm's token is
// refused by the verifier itself (401 invalid_token) even while the issuer
// still publishes the realm's keys and id.
func TestVerifierRefusesRevokedTokensAndTokensOfDeletedRealms(t *testing.T) {
	pg := boottest.NewPostgres(t, "realms")
	seeds := iamtest.Kafka(t, iam.TopicRealmCreated, iam.TopicRealmUpdated, iam.TopicRealmDeleted)
	iss := boottest.NewIssuer(t)
	peers := boottest.StartPeers(t, "svc-token", nil)
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0", "-instance", "test"}, peers.Env(iss.Env(map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix,
		"OPENGATE_KAFKA_BROKERS": strings.Join(seeds, ","),
		"OPENGATE_SERVICE_TOKEN": "svc-token",
		"OPENGATE_SECRET_KEY":    iamcrypto.EncodeKey(iamcrypto.GenerateKey()),
	})))
	refusedByVerifier := func(resp *http.Response) bool {
		return resp.StatusCode == 401 && strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token")
	}
	root := peers.User(t, iam.MasterRealm, "root", iam.RoleAdmin)
	admin := iss.Token(t, "master", root, iam.RoleAdmin)
	if resp, _ := srv.Call(t, "POST", "/admin/realms", admin, `{"realm":"gone","enabled":true}`); resp.StatusCode != 201 {
		t.Fatalf("create realm = %d", resp.StatusCode)
	}

	loggedOut := iss.Token(t, "master", root, iam.RoleAdmin)
	if resp, _ := srv.Call(t, "GET", "/admin/realms/master", loggedOut, ""); resp.StatusCode != 200 {
		t.Fatalf("GET master before revocation = %d", resp.StatusCode)
	}
	iss.Revoke(t, loggedOut)
	if resp, _ := srv.Call(t, "GET", "/admin/realms/master", loggedOut, ""); !refusedByVerifier(resp) {
		t.Fatalf("GET master with a revoked token = %d, want 401 invalid_token", resp.StatusCode)
	}

	gone, err := realmshttp.NewClient(srv.URL, "svc-token").Get(context.Background(), "gone")
	if err != nil || gone.ID == "" {
		t.Fatalf("internal Get = %+v, %v", gone, err)
	}
	iss.SetRealmID("gone", gone.ID)
	peers.Realm(t, "gone")
	old := iss.Token(t, "gone", peers.User(t, "gone", "alice", iam.RoleRealmAdmin), iam.RoleRealmAdmin)
	if resp, _ := srv.Call(t, "GET", "/admin/realms/gone", old, ""); resp.StatusCode != 200 {
		t.Fatalf("GET gone with its realm-admin's token = %d", resp.StatusCode)
	}
	if resp, _ := srv.Call(t, "DELETE", "/admin/realms/gone", admin, ""); resp.StatusCode != 204 {
		t.Fatalf("DELETE gone = %d", resp.StatusCode)
	}
	// The issuer lags: it still serves gone's keys and old id. The
	// realm.deleted event alone makes the verifier refuse the token.
	boottest.Eventually(t, 60*time.Second, "the deleted realm's token is still accepted by the verifier", func() bool {
		resp, _ := srv.Call(t, "GET", "/admin/realms/gone", old, "")
		return refusedByVerifier(resp)
	})
}

// Behind the gateway with OPENGATE_HTTP_RELATIVE_PATH, the service keeps
// its routes at the root (the gateway's paths), verifies tokens of the
// issuer under the path, and answers absolute Location headers under it,
// with the scheme and host the trusted gateway forwarded.
func TestRelativePathAndForwardedLocation(t *testing.T) {
	pg := boottest.NewPostgres(t, "realms")
	seeds := iamtest.Kafka(t, iam.TopicRealmCreated, iam.TopicRealmUpdated, iam.TopicRealmDeleted)
	iss := boottest.NewIssuer(t)
	iss.SetPath("/auth")
	peers := boottest.StartPeers(t, "svc-token", nil)
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0", "-instance", "test"}, peers.Env(iss.Env(map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix,
		"OPENGATE_KAFKA_BROKERS":      strings.Join(seeds, ","),
		"OPENGATE_SERVICE_TOKEN":      "svc-token",
		"OPENGATE_SECRET_KEY":         iamcrypto.EncodeKey(iamcrypto.GenerateKey()),
		"OPENGATE_HTTP_RELATIVE_PATH": "/auth",
		"OPENGATE_TRUSTED_PROXIES":    "127.0.0.0/8",
	})))
	admin := iss.Token(t, "master", peers.User(t, iam.MasterRealm, "root", iam.RoleAdmin), iam.RoleAdmin)
	create := func(realm string, header map[string]string) *http.Response {
		t.Helper()
		req, err := http.NewRequest("POST", srv.URL+"/admin/realms", strings.NewReader(`{"realm":"`+realm+`","enabled":true}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	tests := []struct {
		name, realm string
		header      map[string]string
		want        string
	}{
		{"ForwardedByTheTrustedGateway", "acme", map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "id.example.com"},
			"https://id.example.com/auth/admin/realms/acme"},
		{"Forwarded", "beta", map[string]string{"Forwarded": `for=192.0.2.1;host="id.example.com:8443";proto=https`},
			"https://id.example.com:8443/auth/admin/realms/beta"},
		{"Direct", "gamma", nil, srv.URL + "/auth/admin/realms/gamma"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := create(tt.realm, tt.header)
			if resp.StatusCode != 201 || resp.Header.Get("Location") != tt.want {
				t.Fatalf("= %d, Location %q; want %q", resp.StatusCode, resp.Header.Get("Location"), tt.want)
			}
		})
	}
}
