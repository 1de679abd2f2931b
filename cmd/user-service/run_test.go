package main

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/users/usershttp"
)

const svcToken = "svc-token"

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
	acme.BruteForce = realms.BruteForce{Enabled: true, FailureFactor: 2, WaitIncrement: time.Minute}
	if _, err := svc.Create(ctx, acme); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(realmshttp.NewHandler(svc, realmshttp.WithServiceToken(svcToken)))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestMigrateOnly(t *testing.T) {
	pg := boottest.NewPostgres(t, "users")
	dsn := pg.DSN
	err := run(context.Background(), []string{"-migrate-only"}, boottest.Env(map[string]string{"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix}), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := boottest.Count(t, dsn, `SELECT count(*) FROM users`); err != nil {
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
		{"NoRedis", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x"}, "OPENGATE_REDIS_URL is required"},
		{"NoKafka", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x", "OPENGATE_REDIS_URL": "redis://x",
			"OPENGATE_SECRET_KEY": iamcrypto.EncodeKey(iamcrypto.GenerateKey())}, "OPENGATE_KAFKA_BROKERS is required"},
		{"NoSecretKey", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x",
			"OPENGATE_REDIS_URL": "redis://x"}, "OPENGATE_SECRET_KEY is required"},
		{"BadSecretKey", map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x",
			"OPENGATE_REDIS_URL": "redis://x", "OPENGATE_SECRET_KEY": "too-short"}, "OPENGATE_SECRET_KEY"},
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
	pg := boottest.NewPostgres(t, "users")
	seeds := iamtest.Kafka(t, iam.TopicRealmDeleted, iam.TopicRealmUpdated, iam.TopicUserCreated, iam.TopicUserDeleted)
	iss := boottest.NewIssuer(t)
	realmsURL := realmService(t)
	peers := boottest.StartPeers(t, svcToken, nil) // clients and roles
	env := peers.Env(iss.Env(map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix,
		"OPENGATE_KAFKA_BROKERS":  strings.Join(seeds, ","),
		"OPENGATE_SERVICE_TOKEN":  svcToken,
		"OPENGATE_ADMIN_PASSWORD": "bootstrap-pw",
		"OPENGATE_SECRET_KEY":     iamcrypto.EncodeKey(iamcrypto.GenerateKey()),
	}))
	env["OPENGATE_REALMS_URL"] = realmsURL // with acme's cheap password hashing
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0", "-instance", "test"}, env)
	ctx := context.Background()
	srv.GetOK(t, "/healthz", "/readyz", "/metrics")

	// The bootstrap administrator appears in master; the peer rbac gives it
	// admin.
	client := usershttp.NewClient(srv.URL, svcToken)
	var root string
	boottest.Eventually(t, 60*time.Second, "bootstrap administrator not created", func() bool {
		u, err := client.GetByUsername(ctx, iam.MasterRealm, "admin")
		root = u.ID
		return err == nil
	})
	if err := peers.RBAC.AssignRealmRoles(ctx, iam.MasterRealm, root, iam.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	admin := iss.Token(t, "master", root, iam.RoleAdmin)
	body := `{"username":"alice","email":"alice@example.com","enabled":true,"credentials":[{"type":"password","value":"alice-pw"}]}`
	if resp, _ := srv.Call(t, "POST", "/admin/realms/acme/users", "", body); resp.StatusCode != 401 {
		t.Fatalf("anonymous POST = %d, want 401", resp.StatusCode)
	}
	resp, _ := srv.Call(t, "POST", "/admin/realms/acme/users", admin, body)
	if resp.StatusCode != 201 {
		t.Fatalf("admin POST = %d, want 201", resp.StatusCode)
	}
	id := resp.Header.Get("Location")[strings.LastIndexByte(resp.Header.Get("Location"), '/')+1:]
	if resp, n := srv.Call(t, "GET", "/admin/realms/acme/users/count", admin, ""); resp.StatusCode != 200 || strings.TrimSpace(n) != "1" {
		t.Fatalf("count = %d %q", resp.StatusCode, n)
	}
	if resp, _ := srv.Call(t, "GET", "/admin/realms/missing/users", admin, ""); resp.StatusCode != 404 {
		t.Fatalf("missing realm = %d, want 404", resp.StatusCode)
	}

	// Keycloak's credential view: the authenticator alice enrolled at
	// mfa-service, read and removed over its internal API.
	peers.Realm(t, "acme")
	factorID := enrolAuthenticator(t, peers.MFA, "acme", id)
	var creds []struct{ ID, Type string }
	resp, raw := srv.Call(t, "GET", "/admin/realms/acme/users/"+id+"/credentials", admin, "")
	if err := json.Unmarshal([]byte(raw), &creds); err != nil || resp.StatusCode != 200 || len(creds) != 2 ||
		creds[0].Type != "password" || creds[1].Type != "otp" || creds[1].ID != factorID {
		t.Fatalf("credentials = %d %s", resp.StatusCode, raw)
	}
	if resp, b := srv.Call(t, "DELETE", "/admin/realms/acme/users/"+id+"/credentials/"+factorID, admin, ""); resp.StatusCode != 204 {
		t.Fatalf("deleting the otp credential = %d %s", resp.StatusCode, b)
	}
	if factors, err := peers.MFA.Factors(ctx, "acme", id); err != nil || len(factors) != 0 {
		t.Fatalf("mfa-service keeps %+v, %v", factors, err)
	}

	// A master realm-admin cannot take the master administrator over:
	// user-service asks rbac-service for both sides' current roles.
	resp, _ = srv.Call(t, "POST", "/admin/realms/master/users", admin, `{"username":"mra","enabled":true}`)
	if resp.StatusCode != 201 {
		t.Fatalf("creating mra = %d", resp.StatusCode)
	}
	mra := resp.Header.Get("Location")[strings.LastIndexByte(resp.Header.Get("Location"), '/')+1:]
	if err := peers.RBAC.AssignRealmRoles(ctx, iam.MasterRealm, mra, iam.RoleRealmAdmin); err != nil {
		t.Fatal(err)
	}
	mraToken := iss.Token(t, "master", mra, iam.RoleRealmAdmin)
	reset := `{"type":"password","value":"Taken-Over-Passw0rd","temporary":false}`
	if resp, b := srv.Call(t, "PUT", "/admin/realms/master/users/"+root+"/reset-password", mraToken, reset); resp.StatusCode != 403 ||
		!strings.Contains(b, `"forbidden"`) || !strings.Contains(b, "administrative role") {
		t.Fatalf("master realm-admin resetting the administrator's password = %d %s, want 403 forbidden", resp.StatusCode, b)
	}
	if resp, b := srv.Call(t, "PUT", "/admin/realms/master/users/"+mra+"/reset-password", admin, reset); resp.StatusCode != 204 {
		t.Fatalf("the administrator resetting mra's password = %d %s, want 204", resp.StatusCode, b)
	}

	// The account API answers the user's own token.
	if resp, b := srv.Call(t, "GET", "/realms/acme/account", iss.Token(t, "acme", id), ""); resp.StatusCode != 200 || !strings.Contains(b, `"alice"`) {
		t.Fatalf("account = %d %s", resp.StatusCode, b)
	}

	// Guessing the current password through the account API counts
	// against brute-force protection, in auth's Redis: after 2 guesses
	// (acme's failure factor) the right password is refused too.
	alice := iss.Token(t, "acme", id)
	for _, current := range []string{"guess-1", "guess-2", "alice-pw"} {
		body := `{"currentPassword":"` + current + `","newPassword":"alice-new-pw","confirmation":"alice-new-pw"}`
		if resp, b := srv.Call(t, "POST", "/realms/acme/account/credentials/password", alice, body); resp.StatusCode != 400 {
			t.Fatalf("current password %q = %d %s, want 400 (wrong, then locked out)", current, resp.StatusCode, b)
		}
	}

	// The internal API authenticates with the service token.
	if u, err := client.Authenticate(ctx, "acme", "alice", "alice-pw"); err != nil || u.ID != id {
		t.Fatalf("internal Authenticate = %+v, %v", u, err)
	}

	// The outbox relay publishes user.created to Kafka.
	relayed := boottest.Events(t, seeds, iam.TopicUserCreated)
	timeout := time.After(60 * time.Second)
	for acme := false; !acme; {
		select {
		case e := <-relayed:
			if e.Realm != "acme" {
				continue
			}
			if e.Subject != id || e.Source != "/opengate/users" {
				t.Fatalf("relayed event = %+v", e)
			}
			acme = true
		case <-timeout:
			t.Fatal("user.created was not relayed to Kafka")
		}
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
	boottest.Eventually(t, 60*time.Second, "realm.deleted was not consumed", func() bool {
		_, n := srv.Call(t, "GET", "/admin/realms/acme/users/count", admin, "")
		return strings.TrimSpace(n) == "0"
	})

	// Logged out: auth's revocation list, read from its Redis, refuses the
	// token (a fresh one of the same administrator still works).
	subject := root
	if resp, _ := srv.Call(t, "GET", "/admin/realms/master/users", iss.Token(t, "master", subject, iam.RoleAdmin), ""); resp.StatusCode != 200 {
		t.Fatalf("GET /admin/realms/master/users = %d", resp.StatusCode)
	}
	loggedOut := iss.Token(t, "master", subject, iam.RoleAdmin)
	iss.Revoke(t, loggedOut)
	if resp, _ := srv.Call(t, "GET", "/admin/realms/master/users", loggedOut, ""); resp.StatusCode != 401 ||
		!strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Fatalf("GET /admin/realms/master/users with a revoked token = %d %q, want 401 invalid_token", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
}

// enrolAuthenticator confirms an authenticator of userID at svc and returns
// its factor id.
func enrolAuthenticator(t *testing.T, svc *mfa.Service, realm iam.Realm, userID string) string {
	t.Helper()
	ctx := context.Background()
	e, err := svc.StartTOTP(ctx, realm, userID, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	code, _ := mfa.GenerateTOTP(secret, e.Algorithm, e.Digits, e.Period, time.Now())
	if _, err := svc.ConfirmTOTP(ctx, realm, userID, e.FactorID, code); err != nil {
		t.Fatal(err)
	}
	return e.FactorID
}
