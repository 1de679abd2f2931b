package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifyhttp"
	"github.com/opengate-iam/opengate/notify/notifytest"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/usersmem"
	"github.com/opengate-iam/opengate/users/userstest"
)

const svcToken = "svc-token"

func TestMigrateOnly(t *testing.T) {
	pg := boottest.NewPostgres(t, "notifications")
	dsn := pg.DSN
	// -migrate-only needs neither the issuer nor the secret key.
	err := run(context.Background(), []string{"-migrate-only"}, boottest.Env(map[string]string{"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix}), io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := boottest.Count(t, dsn, `SELECT count(*) FROM deliveries WHERE realm_name = 'master'`); err != nil {
		t.Fatalf("deliveries table missing after -migrate-only: %v", err)
	}
}

func TestRequiredConfiguration(t *testing.T) {
	key := iamcrypto.EncodeKey(iamcrypto.GenerateKey())
	full := map[string]string{"OPENGATE_KAFKA_BROKERS": "kafka:9092", "OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x",
		"OPENGATE_REDIS_URL": "redis://x", "OPENGATE_SECRET_KEY": key}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for a, b := range full {
			if a != k {
				m[a] = b
			}
		}
		if v != "" {
			m[k] = v
		}
		return m
	}
	for _, tt := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NoPostgres", with("OPENGATE_POSTGRES_URL", ""), "OPENGATE_POSTGRES_URL"},
		{"NoIssuer", with("OPENGATE_ISSUER_BASE", ""), "OPENGATE_ISSUER_BASE is required"},
		{"NoRedis", with("OPENGATE_REDIS_URL", ""), "OPENGATE_REDIS_URL is required"},
		{"NoKafka", with("OPENGATE_KAFKA_BROKERS", ""), "OPENGATE_KAFKA_BROKERS is required"},
		{"NoSecretKey", with("OPENGATE_SECRET_KEY", ""), "OPENGATE_SECRET_KEY is required"},
		{"BadSecretKey", with("OPENGATE_SECRET_KEY", "too-short"), "OPENGATE_SECRET_KEY"},
		{"SMTPWithoutFrom", with("OPENGATE_SMTP_HOST", "smtp.example.com"), "OPENGATE_SMTP_FROM"},
		{"BadMaxAttempts", with("OPENGATE_NOTIFY_MAX_ATTEMPTS", "-1"), "OPENGATE_NOTIFY_MAX_ATTEMPTS"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), nil, boottest.Env(tt.env), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "too-short") {
				t.Fatalf("run = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

// TestServes runs the binary on PostgreSQL and Kafka (kfake) beside its
// peers, with a users service that seals action links under the same
// deployment key: the events on Kafka become mails at the default SMTP
// server, their link works, the admin API lists them, and the mfa service's
// client sends a code through the internal API.
func TestServes(t *testing.T) {
	ctx := context.Background()
	pg := boottest.NewPostgres(t, "notifications")
	seeds := iamtest.Kafka(t, notify.Topics()...)
	iss := boottest.NewIssuer(t)
	peers := boottest.StartPeers(t, svcToken, nil)
	peers.Realm(t, "acme")
	key := iamcrypto.GenerateKey()
	links, err := boot.NewLinkSealer(key, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The users service whose events the test publishes: it seals links
	// under the deployment key, and serves the binary's user lookups.
	events := iamtest.NewRecorder()
	userSvc := users.New(usersmem.New(events), peers.Realms, users.WithParams(userstest.FastParams),
		users.WithLinkSealer(links), users.WithPublicURL("https://id.example.com"), users.WithResetRunner(func(w func()) { w() }))
	usersSrv := httptest.NewServer(usershttp.NewHandler(userSvc, usershttp.WithServiceToken(svcToken)))
	t.Cleanup(usersSrv.Close)
	smtp := notifytest.NewSMTPServer(t)
	env := peers.Env(iss.Env(map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix,
		"OPENGATE_KAFKA_BROKERS": strings.Join(seeds, ","),
		"OPENGATE_SERVICE_TOKEN": svcToken,
		"OPENGATE_SECRET_KEY":    iamcrypto.EncodeKey(key),
		"OPENGATE_SMTP_HOST":     smtp.Host, "OPENGATE_SMTP_PORT": strconv.Itoa(smtp.Port),
		"OPENGATE_SMTP_FROM": "id@example.com", "OPENGATE_SMTP_SECURITY": "none",
	}))
	env["OPENGATE_USERS_URL"] = usersSrv.URL
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0", "-instance", "test"}, env)
	srv.GetOK(t, "/healthz", "/readyz", "/metrics")

	alice, err := userSvc.Create(ctx, "acme", users.User{Username: "alice", Email: "alice@example.com", Enabled: true},
		users.NewCredential{Value: "Alice-passw0rd-1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := userSvc.RequestPasswordReset(ctx, "acme", "alice"); err != nil {
		t.Fatal(err)
	}
	pub, err := iamkafka.OpenPublisher(seeds)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if err := pub.Publish(ctx, events.Events(t)...); err != nil {
		t.Fatal(err)
	}
	boottest.Eventually(t, 60*time.Second, "the welcome and the reset mail", func() bool { return len(smtp.Messages()) == 2 })
	var reset notifytest.Received
	for _, m := range smtp.Messages() {
		if m.Subject() == "Reset your acme password" {
			reset = m
		}
	}
	k := notifytest.LinkKey(t, reset, "https://id.example.com/realms/acme"+users.ResetPath)
	if err := userSvc.ResetPassword(ctx, "acme", k, "Alice-new-passw0rd-2"); err != nil {
		t.Fatalf("the mailed link does not reset: %v", err)
	}

	// The admin API, behind the token verifier and the admin guard.
	root, err := userSvc.Create(ctx, iam.MasterRealm, users.User{Username: "root", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := peers.RBAC.AssignRealmRoles(ctx, iam.MasterRealm, root.ID, iam.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	admin := iss.Token(t, "master", root.ID, iam.RoleAdmin)
	if resp, _ := srv.Call(t, "GET", "/admin/realms/acme/notifications", "", ""); resp.StatusCode != 401 {
		t.Fatalf("anonymous list = %d, want 401", resp.StatusCode)
	}
	resp, body := srv.Call(t, "GET", "/admin/realms/acme/notifications?status=sent&user="+alice.ID, admin, "")
	var list []notifyhttp.NotificationRepresentation
	if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list) != 2 || strings.Contains(body, k) {
		t.Fatalf("list = %d %s", resp.StatusCode, body)
	}

	// mfa-service sends its codes through the internal API.
	sender := notifyhttp.NewClient(srv.URL, svcToken)
	if err := sender.SendOTP(ctx, mfa.Message{Realm: "acme", UserID: alice.ID, Channel: mfa.ChannelEmail,
		To: "alice@example.com", Code: "204851", ExpiresAt: time.Now().Add(5 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if got := smtp.Messages(); len(got) != 3 || !strings.Contains(got[2].Text, "204851") {
		t.Fatalf("%d mails; the code mail is missing", len(got))
	}
	if err := notifyhttp.NewClient(srv.URL, "wrong").SendOTP(ctx, mfa.Message{Realm: "acme", UserID: alice.ID,
		Channel: mfa.ChannelEmail, To: "alice@example.com", Code: "204851"}); iam.ErrorCode(err) != iam.CodeForbidden {
		t.Fatalf("a wrong service token: %v", err)
	}
}
