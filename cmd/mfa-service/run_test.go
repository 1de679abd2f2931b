package main

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfahttp"
	"github.com/opengate-iam/opengate/users"
)

// The remote client is what auth-service and user-service use.
var (
	_ auth.SecondFactors      = (*mfahttp.Client)(nil)
	_ users.FactorCredentials = (*mfahttp.Client)(nil)
)

func TestMigrateOnly(t *testing.T) {
	pg := boottest.NewPostgres(t, "mfa")
	dsn := pg.DSN
	// -migrate-only needs neither the issuer, nor Redis, nor the secret key.
	if err := run(context.Background(), []string{"-migrate-only"}, boottest.Env(map[string]string{"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix}), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := boottest.Count(t, dsn, `SELECT count(*) FROM factors WHERE realm_name = 'master'`); err != nil {
		t.Fatalf("factors table missing after -migrate-only: %v", err)
	}
}

func TestRequiredConfiguration(t *testing.T) {
	key := iamcrypto.EncodeKey(iamcrypto.GenerateKey())
	full := map[string]string{"OPENGATE_KAFKA_BROKERS": "kafka:9092", "OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_ISSUER_BASE": "http://x",
		"OPENGATE_REDIS_URL": "redis://x", "OPENGATE_SECRET_KEY": key}
	with := func(k, v string) map[string]string {
		m := map[string]string{}
		for kk, vv := range full {
			m[kk] = vv
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NoPostgres", with("OPENGATE_POSTGRES_URL", ""), "OPENGATE_POSTGRES_URL"},
		{"NoIssuer", with("OPENGATE_ISSUER_BASE", ""), "OPENGATE_ISSUER_BASE"},
		{"NoRedis", with("OPENGATE_REDIS_URL", ""), "OPENGATE_REDIS_URL is required"},
		{"NoKafka", with("OPENGATE_KAFKA_BROKERS", ""), "OPENGATE_KAFKA_BROKERS is required"},
		{"NoSecretKey", with("OPENGATE_SECRET_KEY", ""), "OPENGATE_SECRET_KEY is required"},
		{"BadSecretKey", with("OPENGATE_SECRET_KEY", "too-short"), "OPENGATE_SECRET_KEY"},
		{"BadLogCodes", with("OPENGATE_MFA_LOG_CODES", "sometimes"), "OPENGATE_MFA_LOG_CODES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(nil, boottest.Env(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want an error naming %s", err, tt.want)
			}
			if strings.Contains(err.Error(), "too-short") {
				t.Fatalf("error repeats the key: %v", err)
			}
		})
	}
	if _, err := parseConfig(nil, boottest.Env(full), io.Discard); err != nil {
		t.Fatalf("full configuration: %v", err)
	}
}

// A database records the deployment key at first start; the service refuses
// to start with another key rather than seal TOTP secrets under it.
func TestRefusesAnotherSecretKey(t *testing.T) {
	pg := boottest.NewPostgres(t, "mfa")
	dsn := pg.DSN
	if err := run(context.Background(), []string{"-migrate-only"}, boottest.Env(map[string]string{"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix}), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	sealer, err := boot.NewSealer(iamcrypto.GenerateKey(), nil)
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
	pg := boottest.NewPostgres(t, "mfa")
	seeds := iamtest.Kafka(t, iam.TopicUserDeleted, iam.TopicRealmDeleted, iam.TopicRealmUpdated, iam.TopicOTPSent)
	iss := boottest.NewIssuer(t)
	peers := boottest.StartPeers(t, "svc-token", nil)
	peers.Realm(t, "acme")
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0", "-instance", "test"}, peers.Env(iss.Env(map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix,
		"OPENGATE_KAFKA_BROKERS": strings.Join(seeds, ","),
		"OPENGATE_SERVICE_TOKEN": "svc-token",
		"OPENGATE_SECRET_KEY":    iamcrypto.EncodeKey(iamcrypto.GenerateKey()),
	})))
	ctx := context.Background()
	srv.GetOK(t, "/healthz", "/readyz", "/metrics")
	sent := boottest.Events(t, seeds, iam.TopicOTPSent)

	// Alice, who must configure an authenticator, enrols one through the
	// account API; confirming it completes CONFIGURE_TOTP at user-service.
	alice := peers.User(t, "acme", "alice")
	actions := []string{users.ActionConfigureTOTP}
	if _, err := peers.Users.Update(ctx, "acme", alice, users.Patch{RequiredActions: &actions}); err != nil {
		t.Fatal(err)
	}
	token := iss.Token(t, "acme", alice, "user")
	if resp, _ := srv.Call(t, "POST", "/realms/acme/account/mfa/totp", "", ""); resp.StatusCode != 401 {
		t.Fatalf("anonymous enrolment = %d", resp.StatusCode)
	}
	resp, raw := srv.Call(t, "POST", "/realms/acme/account/mfa/totp", token, `{"userLabel":"Phone"}`)
	var e mfahttp.EnrolmentRepresentation
	if err := json.Unmarshal([]byte(raw), &e); err != nil || resp.StatusCode != 200 || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("enrolment = %d %s", resp.StatusCode, raw)
	}
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	code := func(at time.Time) string {
		c, _ := mfa.GenerateTOTP(secret, e.Algorithm, e.Digits, time.Duration(e.Period)*time.Second, at)
		return c
	}
	if resp, raw := srv.Call(t, "POST", "/realms/acme/account/mfa/totp/confirm", token,
		`{"factorId":"`+e.FactorID+`","code":"`+code(time.Now())+`"}`); resp.StatusCode != 200 {
		t.Fatalf("confirm = %d %s", resp.StatusCode, raw)
	}
	if u, _ := peers.Users.Get(ctx, "acme", alice); len(u.RequiredActions) != 0 {
		t.Fatalf("alice's required actions = %v", u.RequiredActions)
	}

	// The internal API answers auth-service and user-service.
	remote := mfahttp.NewClient(srv.URL, "svc-token")
	if m, err := remote.Verify(ctx, "acme", alice, code(time.Now().Add(30*time.Second))); err != nil || m != mfa.MethodTOTP {
		t.Fatalf("Verify = %q, %v", m, err)
	}
	if creds, err := remote.Credentials(ctx, "acme", alice); err != nil || len(creds) != 1 || creds[0].Type != "otp" {
		t.Fatalf("Credentials = %+v, %v", creds, err)
	}
	if _, err := mfahttp.NewClient(srv.URL, "wrong").Factors(ctx, "acme", alice); iam.ErrorCode(err) != iam.CodeForbidden {
		t.Fatalf("a wrong service token = %v", err)
	}

	// An email code: mailed through the notify peer's internal API,
	// recorded on Kafka without the code.
	if err := remote.SendEmailOTP(ctx, "acme", alice, "alice@acme.test"); err != nil {
		t.Fatal(err)
	}
	if mail := peers.Mail(); len(mail) != 1 || mail[0].To != "alice@acme.test" || mail[0].Kind != "email-otp" || len(mail[0].Secrets) != 1 {
		t.Fatalf("mailed through notification-service: %+v", mail)
	} else if _, err := remote.Verify(ctx, "acme", alice, mail[0].Secrets[0]); err != nil {
		t.Fatalf("the mailed code: %v", err)
	}
	select {
	case ev := <-sent:
		if ev.Subject != alice || strings.Contains(string(ev.Data), "alice@") {
			t.Fatalf("mfa.otp_sent = %+v", ev)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("mfa.otp_sent was not relayed to Kafka")
	}

	// Admin API: authorized by the peers' current state.
	if resp, _ := srv.Call(t, "GET", "/admin/realms/acme/users/"+alice+"/mfa", token, ""); resp.StatusCode != 403 {
		t.Fatalf("a user reading the admin API = %d", resp.StatusCode)
	}
	admin := iss.Token(t, "master", peers.User(t, iam.MasterRealm, "root", iam.RoleAdmin), iam.RoleAdmin)
	if resp, raw := srv.Call(t, "GET", "/admin/realms/acme/users/"+alice+"/mfa", admin, ""); resp.StatusCode != 200 || !strings.Contains(raw, e.FactorID) {
		t.Fatalf("admin listing = %d %s", resp.StatusCode, raw)
	}

	// user.deleted from Kafka removes alice's factors.
	pub, err := iamkafka.OpenPublisher(seeds)
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	deleted, _ := iam.NewEvent("/opengate/users", iam.TopicUserDeleted, "acme", alice, map[string]string{"id": alice})
	if err := pub.Publish(ctx, deleted); err != nil {
		t.Fatal(err)
	}
	boottest.Eventually(t, 60*time.Second, "user.deleted was not consumed", func() bool {
		factors, err := remote.Factors(ctx, "acme", alice)
		return err == nil && len(factors) == 0
	})

	// A revoked token is refused (auth's revocation list in Redis).
	iss.Revoke(t, token)
	if resp, _ := srv.Call(t, "GET", "/realms/acme/account/mfa", token, ""); resp.StatusCode != 401 {
		t.Fatalf("a revoked token = %d", resp.StatusCode)
	}
}
