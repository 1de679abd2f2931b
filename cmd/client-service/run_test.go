package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestMigrateOnly(t *testing.T) {
	pg := boottest.NewPostgres(t, "clients")
	dsn := pg.DSN
	// -migrate-only needs neither the issuer nor the secret key.
	err := run(context.Background(), []string{"-migrate-only"}, boottest.Env(map[string]string{"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix}), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := boottest.Count(t, dsn, `SELECT count(*) FROM clients WHERE realm_name = 'master'`); err != nil {
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
		{"NoSecretKey", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x", "OPENGATE_REDIS_URL": "redis://x"}, "OPENGATE_SECRET_KEY is required"},
		{"BadSecretKey", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x", "OPENGATE_REDIS_URL": "redis://x",
			"OPENGATE_SECRET_KEY": "too-short"}, "OPENGATE_SECRET_KEY"},
		{"NoRedis", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x", "OPENGATE_SECRET_KEY": key}, "OPENGATE_REDIS_URL is required"},
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

// A database records the deployment key at first start; the service refuses
// to start with another key rather than seal client secrets under it.
func TestRefusesAnotherSecretKey(t *testing.T) {
	pg := boottest.NewPostgres(t, "clients")
	dsn := pg.DSN
	first := iamcrypto.GenerateKey()
	if err := run(context.Background(), []string{"-migrate-only"}, boottest.Env(map[string]string{"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix}), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	sealer, err := boot.NewSealer(first, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := boot.CheckSealingKey(context.Background(), pool, sealer); err != nil {
		t.Fatal(err)
	}
	err = run(context.Background(), []string{"-addr", "127.0.0.1:0"}, boottest.Env(map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix, "OPENGATE_ISSUER_BASE": "http://x", "OPENGATE_REDIS_URL": "redis://x",
		"OPENGATE_SECRET_KEY": iamcrypto.EncodeKey(iamcrypto.GenerateKey()), "OPENGATE_KAFKA_BROKERS": "kafka.invalid:9092",
	}), io.Discard, io.Discard)
	if err == nil || err.Error() != boot.MismatchMessage {
		t.Fatalf("run with another key = %v", err)
	}
}

func TestServes(t *testing.T) {
	pg := boottest.NewPostgres(t, "clients")
	seeds := iamtest.Kafka(t, iam.TopicRealmCreated, iam.TopicRealmDeleted, iam.TopicClientCreated, iam.TopicClientUpdated, iam.TopicClientDeleted)
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
	ctx := context.Background()

	srv.GetOK(t, "/healthz", "/readyz", "/metrics")
	admin := iss.Token(t, "master", peers.User(t, iam.MasterRealm, "root", iam.RoleAdmin), iam.RoleAdmin)
	// master's admin-cli exists from the first start.
	if resp, body := srv.Call(t, "GET", "/admin/realms/master/clients?clientId=admin-cli", admin, ""); resp.StatusCode != 200 || !strings.Contains(body, `"publicClient":true`) {
		t.Fatalf("admin-cli = %d %s", resp.StatusCode, body)
	}
	body := `{"clientId":"web","redirectUris":["https://app.test/cb"],"secret":"the-right-secret-0123456789"}`
	if resp, _ := srv.Call(t, "POST", "/admin/realms/acme/clients", "", body); resp.StatusCode != 401 {
		t.Fatalf("anonymous POST = %d, want 401", resp.StatusCode)
	}
	if resp, _ := srv.Call(t, "POST", "/admin/realms/acme/clients", iss.Token(t, "master", peers.User(t, iam.MasterRealm, "plain"), "user"), body); resp.StatusCode != 403 {
		t.Fatalf("non-admin POST = %d, want 403", resp.StatusCode)
	}
	if resp, _ := srv.Call(t, "POST", "/admin/realms/acme/clients", admin, body); resp.StatusCode != 201 {
		t.Fatalf("admin POST = %d, want 201", resp.StatusCode)
	}
	if resp, _ := srv.Call(t, "POST", "/admin/realms/acme/clients", admin, body); resp.StatusCode != 409 {
		t.Fatalf("duplicate POST = %d, want 409", resp.StatusCode)
	}

	// A master realm-admin cannot read or rotate the secret of a client
	// whose service account holds admin: client-service asks rbac-service
	// for both sides' roles.
	resp, _ := srv.Call(t, "POST", "/admin/realms/master/clients", admin, `{"clientId":"robot","serviceAccountsEnabled":true}`)
	if resp.StatusCode != 201 {
		t.Fatalf("creating robot = %d", resp.StatusCode)
	}
	robot := resp.Header.Get("Location")[strings.LastIndexByte(resp.Header.Get("Location"), '/')+1:]
	if err := peers.RBAC.PutClient(ctx, iam.MasterRealm, robot, "robot"); err != nil {
		t.Fatal(err)
	}
	if err := peers.RBAC.AssignRealmRoles(ctx, iam.MasterRealm, iam.ServiceAccountSubject(robot), iam.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	mra := iss.Token(t, "master", peers.User(t, iam.MasterRealm, "mra", iam.RoleRealmAdmin), iam.RoleRealmAdmin)
	for _, method := range []string{"GET", "POST"} {
		if resp, b := srv.Call(t, method, "/admin/realms/master/clients/"+robot+"/client-secret", mra, ""); resp.StatusCode != 403 || !strings.Contains(b, `"forbidden"`) {
			t.Fatalf("master realm-admin %s robot's client-secret = %d %s, want 403 forbidden", method, resp.StatusCode, b)
		}
	}
	if resp, _ := srv.Call(t, "GET", "/admin/realms/master/clients/"+robot+"/client-secret", admin, ""); resp.StatusCode != 200 {
		t.Fatalf("the administrator reading robot's client-secret = %d, want 200", resp.StatusCode)
	}

	// The internal API authenticates clients for the auth service.
	remote := clientshttp.NewClient(srv.URL, "svc-token")
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
	boottest.Eventually(t, 60*time.Second, "realm.created was not consumed", func() bool {
		_, err := remote.GetByClientID(ctx, "beta", "admin-cli")
		return err == nil
	})

	// Logged out: auth's revocation list, read from its Redis, refuses the
	// token (a fresh one of the same administrator still works).
	subject := peers.User(t, iam.MasterRealm, "logged-out", iam.RoleAdmin)
	if resp, _ := srv.Call(t, "GET", "/admin/realms/master/clients", iss.Token(t, "master", subject, iam.RoleAdmin), ""); resp.StatusCode != 200 {
		t.Fatalf("GET /admin/realms/master/clients = %d", resp.StatusCode)
	}
	loggedOut := iss.Token(t, "master", subject, iam.RoleAdmin)
	iss.Revoke(t, loggedOut)
	if resp, _ := srv.Call(t, "GET", "/admin/realms/master/clients", loggedOut, ""); resp.StatusCode != 401 ||
		!strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("GET /admin/realms/master/clients with a revoked token = %d %q, want 401 invalid_token", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}
