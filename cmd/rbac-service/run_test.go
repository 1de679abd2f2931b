package main

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
)

func TestMigrateOnly(t *testing.T) {
	pg := boottest.NewPostgres(t, "rbac")
	dsn := pg.DSN
	err := run(context.Background(), []string{"-migrate-only"}, boottest.Env(map[string]string{"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix}), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := boottest.Count(t, dsn, `SELECT count(*) FROM rbac_roles`); err != nil {
		t.Fatalf("rbac_roles missing after -migrate-only: %v", err)
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
		})
	}
}

func TestServes(t *testing.T) {
	pg := boottest.NewPostgres(t, "rbac")
	seeds := iamtest.Kafka(t, iam.TopicRealmCreated, iam.TopicRoleCreated)
	iss := boottest.NewIssuer(t)
	peers := boottest.StartPeers(t, "svc-token", nil) // users, realms and clients
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0"}, peers.Env(iss.Env(map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix,
		"OPENGATE_KAFKA_BROKERS": strings.Join(seeds, ","),
		"OPENGATE_SERVICE_TOKEN": "svc-token",
	})))
	if len(srv.Output) != 1 {
		t.Fatalf("unexpected output %q", srv.Output)
	}
	ctx := context.Background()
	srv.GetOK(t, "/healthz", "/readyz", "/metrics")
	// master's roles exist from the first start: the internal API maps
	// admin to a user of the peer users service.
	root := peers.User(t, iam.MasterRealm, "root")
	if err := rbachttp.NewClient(srv.URL, "svc-token").AssignRealmRoles(ctx, iam.MasterRealm, root, iam.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	admin := iss.Token(t, "master", root, iam.RoleAdmin)
	if resp, _ := srv.Call(t, "POST", "/admin/realms/acme/roles", "", `{"name":"r"}`); resp.StatusCode != 401 {
		t.Fatalf("anonymous POST = %d, want 401", resp.StatusCode)
	}
	if resp, _ := srv.Call(t, "POST", "/admin/realms/acme/roles", iss.Token(t, "master", peers.User(t, iam.MasterRealm, "plain"), "user"), `{"name":"r"}`); resp.StatusCode != 403 {
		t.Fatalf("non-admin POST = %d, want 403", resp.StatusCode)
	}
	if resp, _ := srv.Call(t, "POST", "/admin/realms/acme/roles", admin, `{"name":"r"}`); resp.StatusCode != 201 {
		t.Fatalf("admin POST = %d, want 201", resp.StatusCode)
	}

	// The internal API answers with the service token.
	roles := rbachttp.NewClient(srv.URL, "svc-token")
	if err := roles.AssignRealmRoles(ctx, "acme", "u1", "r"); err != nil {
		t.Fatal(err)
	}
	if ok, err := roles.HasRole(ctx, "acme", "u1", "r"); err != nil || !ok {
		t.Fatalf("HasRole through the internal API = %v, %v", ok, err)
	}

	// The users of a role are user representations read from user-service
	// (u1 exists only here: it is left out).
	peers.Realm(t, "acme")
	carol := peers.User(t, "acme", "carol")
	if err := roles.AssignRealmRoles(ctx, "acme", carol, "r"); err != nil {
		t.Fatal(err)
	}
	resp, body := srv.Call(t, "GET", "/admin/realms/acme/roles/r/users", admin, "")
	var reps []map[string]any
	if err := json.Unmarshal([]byte(body), &reps); resp.StatusCode != 200 || err != nil ||
		len(reps) != 1 || reps[0]["id"] != carol || reps[0]["username"] != "carol" {
		t.Fatalf("GET roles/r/users = %d %s", resp.StatusCode, body)
	}

	// The outbox relay publishes role.created to Kafka (master's roles
	// first, made at start).
	relayed, timeout := boottest.Events(t, seeds, iam.TopicRoleCreated), time.After(60*time.Second)
	for acme := false; !acme; {
		select {
		case e := <-relayed:
			if e.Source != "/opengate/rbac" || (e.Realm != "acme" && e.Realm != iam.MasterRealm) {
				t.Fatalf("relayed event = %+v", e)
			}
			acme = e.Realm == "acme"
		case <-timeout:
			t.Fatal("role.created was not relayed to Kafka")
		}
	}

	// The consumer makes the default roles of a new realm.
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
		resp, _ := srv.Call(t, "GET", "/admin/realms/beta/roles/default-roles-beta", admin, "")
		return resp.StatusCode == 200
	})

	// Logged out: auth's revocation list, read from its Redis, refuses the
	// token (a fresh one of the same administrator still works).
	subject := root
	if resp, _ := srv.Call(t, "GET", "/admin/realms/master/roles", iss.Token(t, "master", subject, iam.RoleAdmin), ""); resp.StatusCode != 200 {
		t.Fatalf("GET /admin/realms/master/roles = %d", resp.StatusCode)
	}
	loggedOut := iss.Token(t, "master", subject, iam.RoleAdmin)
	iss.Revoke(t, loggedOut)
	if resp, _ := srv.Call(t, "GET", "/admin/realms/master/roles", loggedOut, ""); resp.StatusCode != 401 ||
		!strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("GET /admin/realms/master/roles with a revoked token = %d %q, want 401 invalid_token", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// rbac-service grants the admin role to the user user-service bootstraps:
// both default OPENGATE_ADMIN_USER to admin.
func TestAdminUserDefaultsToAdminAsInUserService(t *testing.T) {
	env := map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x",
		"OPENGATE_REDIS_URL": "redis://x", "OPENGATE_KAFKA_BROKERS": "kafka:9092"}
	for _, tt := range []struct{ set, want string }{{"", "admin"}, {"root", "root"}} {
		env["OPENGATE_ADMIN_USER"] = tt.set
		cfg, err := parseConfig(nil, boottest.Env(env), io.Discard)
		if err != nil || cfg.adminUser != tt.want {
			t.Fatalf("OPENGATE_ADMIN_USER=%q: adminUser = %q, %v; want %q", tt.set, cfg.adminUser, err, tt.want)
		}
	}
}
