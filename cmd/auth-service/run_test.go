package main

import (
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientsmem"
	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfahttp"
	"github.com/opengate-iam/opengate/mfa/mfamem"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbacmem"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmsmem"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionhttp"
	"github.com/opengate-iam/opengate/session/sessionmem"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/usersmem"
)

// The remote clients satisfy auth's interfaces, UserFinder included (so
// brute-force protection counts failures per user in the microservice too).
var (
	_ auth.RealmGetter         = (*realmshttp.Client)(nil)
	_ auth.ClientAuthenticator = (*clientshttp.Client)(nil)
	_ auth.UserAuthenticator   = (*usershttp.Client)(nil)
	_ auth.UserFinder          = (*usershttp.Client)(nil)
	_ auth.RoleResolver        = (*rbachttp.Client)(nil)
	_ auth.SessionChecker      = (*sessionhttp.Client)(nil)
	_ auth.SecondFactors       = (*mfahttp.Client)(nil)
)

func TestMigrateOnly(t *testing.T) {
	pg := boottest.NewPostgres(t, "auth")
	dsn := pg.DSN
	// -migrate-only needs neither Redis, nor the issuer, nor the secret key.
	if err := run(context.Background(), []string{"-migrate-only"}, boottest.Env(map[string]string{"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix}), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := boottest.Count(t, dsn, `SELECT count(*) FROM signing_keys WHERE realm_name = 'master'`); err != nil {
		t.Fatalf("signing_keys missing after -migrate-only: %v", err)
	}
}

func TestRequiredConfiguration(t *testing.T) {
	key := iamcrypto.EncodeKey(iamcrypto.GenerateKey())
	full := map[string]string{"OPENGATE_KAFKA_BROKERS": "kafka:9092", "OPENGATE_POSTGRES_URL": "postgres://x", "OPENGATE_REDIS_URL": "redis://x",
		"OPENGATE_ISSUER_BASE": "http://localhost:8080", "OPENGATE_SECRET_KEY": key}
	without := func(k string) map[string]string {
		m := map[string]string{}
		for kk, v := range full {
			if kk != k {
				m[kk] = v
			}
		}
		return m
	}
	with := func(k, v string) map[string]string {
		m := without("")
		m[k] = v
		return m
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"NoPostgres", without("OPENGATE_POSTGRES_URL"), "OPENGATE_POSTGRES_URL"},
		{"NoRedis", without("OPENGATE_REDIS_URL"), "OPENGATE_REDIS_URL"},
		{"NoKafka", without("OPENGATE_KAFKA_BROKERS"), "OPENGATE_KAFKA_BROKERS is required"},
		{"NoIssuer", without("OPENGATE_ISSUER_BASE"), "OPENGATE_ISSUER_BASE"},
		{"NoSecretKey", without("OPENGATE_SECRET_KEY"), "OPENGATE_SECRET_KEY is required"},
		{"BadSecretKey", with("OPENGATE_SECRET_KEY", "short"), "OPENGATE_SECRET_KEY"},
		{"BadProxy", with("OPENGATE_TRUSTED_PROXIES", "10.0.0.0/8, gateway"), "OPENGATE_TRUSTED_PROXIES"},
		{"BadRotation", with("OPENGATE_KEY_ROTATION", "5m"), "OPENGATE_KEY_ROTATION"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseConfig(nil, boottest.Env(tt.env), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want mention of %s", err, tt.want)
			}
		})
	}
	if _, err := parseConfig(nil, boottest.Env(full), io.Discard); err != nil {
		t.Fatalf("full configuration: %v", err)
	}
}

// peers runs the realm, client, user and rbac services in memory behind
// their real HTTP handlers, as auth-service's remote dependencies.
type peers struct {
	realms, clients, users, rbac, sessions, mfa *httptest.Server
	secret                                      string
	mfaSvc                                      *mfa.Service
	alice                                       string // alice's user id
}

func startPeers(t *testing.T, token string) peers {
	t.Helper()
	ctx := context.Background()
	realmSvc := realms.New(realmsmem.New(nil))
	if _, err := realmSvc.Create(ctx, realms.Realm{Name: "acme", Enabled: true}); err != nil {
		t.Fatal(err)
	}
	clientSvc := clients.New(clientsmem.New(nil))
	// billing's group-membership mapper reaches auth-service through
	// client-service's internal API with the client's stored fields.
	if _, err := clientSvc.Create(ctx, "acme", clients.Client{ClientID: "billing", Enabled: true,
		ServiceAccountsEnabled: true, DirectAccessGrantsEnabled: true,
		Extra: iam.Extra{"protocolMappers": json.RawMessage(`[{"name":"groups","protocolMapper":"oidc-group-membership-mapper","config":{"claim.name":"groups"}}]`)},
	}, "billing-secret-0123456789"); err != nil {
		t.Fatal(err)
	}
	userSvc := users.New(usersmem.New(nil), realmSvc)
	alice, err := userSvc.Create(ctx, "acme", users.User{Username: "alice", Enabled: true},
		users.NewCredential{Value: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	rbacSvc := rbac.New(rbacmem.New(nil))
	team, err := rbacSvc.CreateGroup(ctx, "acme", rbac.Group{Name: "team"})
	if err != nil {
		t.Fatal(err)
	}
	if err := rbacSvc.JoinGroup(ctx, "acme", alice.ID, team.ID); err != nil {
		t.Fatal(err)
	}
	sessionSvc := session.New(sessionmem.New(), realmSvc)
	p := peers{secret: "billing-secret-0123456789", alice: alice.ID,
		mfaSvc: mfa.New(mfamem.New(), mfamem.NewEphemeral(), realmSvc)}
	for _, s := range []struct {
		dst **httptest.Server
		h   http.Handler
	}{
		{&p.realms, realmshttp.NewHandler(realmSvc, realmshttp.WithServiceToken(token))},
		{&p.clients, clientshttp.NewHandler(clientSvc, clientshttp.WithServiceToken(token))},
		{&p.users, usershttp.NewHandler(userSvc, usershttp.WithServiceToken(token))},
		{&p.rbac, rbachttp.NewHandler(rbacSvc, rbachttp.WithServiceToken(token))},
		{&p.sessions, sessionhttp.NewHandler(sessionSvc, sessionhttp.WithServiceToken(token))},
		{&p.mfa, mfahttp.NewHandler(p.mfaSvc, mfahttp.WithServiceToken(token))},
	} {
		srv := httptest.NewServer(s.h)
		t.Cleanup(srv.Close)
		*s.dst = srv
	}
	return p
}

func TestServesTokensFromRemoteServices(t *testing.T) {
	redisURL := os.Getenv(iamtest.EnvRedisURL)
	if redisURL == "" {
		if os.Getenv(iamtest.EnvRequire) == "1" {
			t.Fatalf("%s is required", iamtest.EnvRedisURL)
		}
		t.Skipf("set %s to run auth-service against Redis", iamtest.EnvRedisURL)
	}
	_, prefix := iamtest.Redis(t) // a key prefix that is cleaned up after the test
	pg := boottest.NewPostgres(t, "auth")
	p := startPeers(t, "internal-token")
	srv := boottest.StartService(t, run, []string{"-addr", "127.0.0.1:0"}, map[string]string{
		"OPENGATE_POSTGRES_URL": pg.URL, "OPENGATE_DATABASE_PREFIX": pg.Prefix,
		"OPENGATE_REDIS_URL":     redisURL,
		"OPENGATE_REDIS_PREFIX":  prefix,
		"OPENGATE_ISSUER_BASE":   "http://localhost:8080",
		"OPENGATE_SECRET_KEY":    iamcrypto.EncodeKey(iamcrypto.GenerateKey()),
		"OPENGATE_SERVICE_TOKEN": "internal-token",
		"OPENGATE_REALMS_URL":    p.realms.URL,
		"OPENGATE_CLIENTS_URL":   p.clients.URL,
		"OPENGATE_USERS_URL":     p.users.URL,
		"OPENGATE_RBAC_URL":      p.rbac.URL,
		"OPENGATE_SESSIONS_URL":  p.sessions.URL,
		"OPENGATE_MFA_URL":       p.mfa.URL,
	})

	get := func(path string) (int, map[string]any) {
		resp, raw := srv.Call(t, http.MethodGet, path, "", "")
		var body map[string]any
		_ = json.Unmarshal([]byte(raw), &body)
		return resp.StatusCode, body
	}
	if status, _ := get("/healthz"); status != 200 {
		t.Fatalf("healthz: %d", status)
	}
	// Ready once its Kafka consumers have joined their groups.
	boottest.Eventually(t, 20*time.Second, "readyz never answered 200", func() bool {
		status, _ := get("/readyz")
		return status == 200
	})
	if status, body := get("/realms/acme/.well-known/openid-configuration"); status != 200 || body["issuer"] != "http://localhost:8080/realms/acme" {
		t.Fatalf("discovery: %d %v", status, body)
	}
	token := func(form url.Values) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/realms/acme/protocol/openid-connect/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth("billing", p.secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	if status, body := token(url.Values{"grant_type": {"client_credentials"}}); status != 200 || body["access_token"] == nil {
		t.Fatalf("client_credentials: %d %v", status, body)
	}
	status, body := token(url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"correct horse battery staple"}})
	if status != 200 || body["refresh_token"] == nil {
		t.Fatalf("password: %d %v", status, body)
	}
	// Her groups come from rbac-service's internal API (the mapper's
	// default: names, in the access token).
	if groups := jwtPayload(t, body["access_token"].(string))["groups"]; fmt.Sprint(groups) != "[team]" {
		t.Fatalf("the access token's groups = %v, want [team]", groups)
	}
	if status, body := token(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {body["refresh_token"].(string)}}); status != 200 {
		t.Fatalf("refresh: %d %v", status, body)
	}
	if status, body := token(url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"wrong"}}); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("wrong password: %d %v", status, body)
	}
	if resp, _ := srv.Call(t, http.MethodPost, "/admin/realms/acme/keys/rotate", "", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous key rotation: %d", resp.StatusCode)
	}

	// Once alice has an authenticator (at mfa-service), her password alone
	// gets no token.
	code := enrol(t, p.mfaSvc, p.alice)
	status, body = token(url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"correct horse battery staple"}})
	if desc, _ := body["error_description"].(string); status != 400 || body["error"] != "invalid_grant" ||
		!strings.HasPrefix(desc, "A second factor is required") {
		t.Fatalf("password without the second factor: %d %v", status, body)
	}
	status, body = token(url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"correct horse battery staple"},
		"totp": {code(time.Now().Add(30 * time.Second))}})
	if status != 200 || body["access_token"] == nil {
		t.Fatalf("password with the second factor: %d %v", status, body)
	}
}

// enrol confirms an authenticator for userID in acme and returns what
// makes its codes.
func enrol(t *testing.T, svc *mfa.Service, userID string) func(time.Time) string {
	t.Helper()
	ctx := context.Background()
	e, err := svc.StartTOTP(ctx, "acme", userID, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	code := func(at time.Time) string {
		c, err := mfa.GenerateTOTP(secret, e.Algorithm, e.Digits, e.Period, at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if _, err := svc.ConfirmTOTP(ctx, "acme", userID, e.FactorID, code(time.Now())); err != nil {
		t.Fatal(err)
	}
	return code
}

// jwtPayload decodes the claims of a JWT.
func jwtPayload(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}
