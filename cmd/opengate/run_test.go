package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/cmd/internal/boottest"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// started is a running all-in-one binary.
type started struct {
	boottest.Started
	password string // the bootstrap admin's password
}

// start runs the binary in-process until the test ends and waits for it to
// listen and to finish starting (/readyz?exclude=background_tasks: until
// then requests answer 503 "OpenGate is starting").
func start(t *testing.T, env map[string]string) started {
	t.Helper()
	srv := boottest.Start(t, run, []string{"-addr", "127.0.0.1:0"}, env)
	s := started{Started: srv, password: env["OPENGATE_ADMIN_PASSWORD"]}
	boottest.Eventually(t, 20*time.Second, "the all-in-one never finished starting", func() bool {
		resp, _ := s.Call(t, "GET", "/readyz?exclude=background_tasks", "", "")
		return resp.StatusCode == 200
	})
	generated := regexp.MustCompile(`with password (\S+)`)
	for _, line := range srv.Output {
		if m := generated.FindStringSubmatch(line); m != nil {
			s.password = m[1]
		}
	}
	return s
}

func (s started) token(t *testing.T, realm, client, username, password string) string {
	t.Helper()
	resp, err := http.PostForm(s.URL+"/realms/"+realm+"/protocol/openid-connect/token", url.Values{
		"grant_type": {"password"}, "client_id": {client}, "username": {username}, "password": {password},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
		Error       string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if resp.StatusCode != 200 || body.AccessToken == "" {
		t.Fatalf("password grant for %s: %d %s", username, resp.StatusCode, body.Error)
	}
	return body.AccessToken
}

// exerciseQuickstart is the README's quickstart: a password grant for the
// bootstrap admin, then the admin API; then a realm with a user who logs in.
func exerciseQuickstart(t *testing.T, s started) {
	t.Helper()
	if s.password == "" {
		t.Fatal("no admin password")
	}
	if resp, _ := s.Call(t, "GET", "/admin/realms", "", ""); resp.StatusCode != 401 {
		t.Fatalf("anonymous admin call: %d, want 401", resp.StatusCode)
	}
	admin := s.token(t, "master", "admin-cli", "admin", s.password)
	if resp, _ := s.Call(t, "GET", "/admin/realms", admin, ""); resp.StatusCode != 200 {
		t.Fatalf("GET /admin/realms: %d", resp.StatusCode)
	}
	if resp, _ := s.Call(t, "POST", "/admin/realms", admin, `{"realm":"acme","enabled":true}`); resp.StatusCode != 201 {
		t.Fatalf("create realm: %d", resp.StatusCode)
	}
	resp, _ := s.Call(t, "POST", "/admin/realms/acme/users", admin,
		`{"username":"alice","enabled":true,"credentials":[{"type":"password","value":"correct-horse-9","temporary":false}]}`)
	if resp.StatusCode != 201 || !strings.Contains(resp.Header.Get("Location"), "/admin/realms/acme/users/") {
		t.Fatalf("create user: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// admin-cli and the default roles reach the new realm through events.
	var alice string
	boottest.Eventually(t, 10*time.Second, "alice cannot log in to acme", func() bool {
		resp, err := http.PostForm(s.URL+"/realms/acme/protocol/openid-connect/token", url.Values{
			"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {"alice"}, "password": {"correct-horse-9"}, "scope": {"openid"},
		})
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			AccessToken string `json:"access_token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		alice = body.AccessToken
		return alice != ""
	})
	if resp, _ := s.Call(t, "GET", "/admin/realms/acme/users", alice, ""); resp.StatusCode != 403 {
		t.Fatalf("plain user on the admin API: %d, want 403", resp.StatusCode)
	}
	if resp, _ := s.Call(t, "GET", "/realms/acme/protocol/openid-connect/userinfo", alice, ""); resp.StatusCode != 200 {
		t.Fatalf("userinfo: %d", resp.StatusCode)
	}
	// Logging out ends the session: its access tokens stop working on the
	// admin API at once, not when they expire.
	resp, err := http.PostForm(s.URL+"/realms/master/protocol/openid-connect/token", url.Values{
		"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {"admin"}, "password": {s.password},
	})
	if err != nil {
		t.Fatal(err)
	}
	var session struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&session)
	resp.Body.Close()
	if r, _ := s.Call(t, "GET", "/admin/realms", session.AccessToken, ""); r.StatusCode != 200 {
		t.Fatalf("before logout: %d", r.StatusCode)
	}
	resp, err = http.PostForm(s.URL+"/realms/master/protocol/openid-connect/logout", url.Values{
		"client_id": {"admin-cli"}, "refresh_token": {session.RefreshToken},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if r, _ := s.Call(t, "GET", "/admin/realms", session.AccessToken, ""); r.StatusCode != 401 {
		t.Fatalf("access token of a logged-out session: %d, want 401", r.StatusCode)
	}
	s.GetOK(t, "/healthz", "/readyz", "/metrics", "/realms/acme/.well-known/openid-configuration")
}

func TestRunEmbeddedDefault(t *testing.T) {
	s := start(t, map[string]string{})
	exerciseQuickstart(t, s)
}

func TestRunPostgresAndRedis(t *testing.T) {
	s := start(t, productionEnv(t))
	exerciseQuickstart(t, s)
}

// productionEnv configures fresh per-test databases (dropped after the test)
// on the server of OPENGATE_TEST_POSTGRES_URL, and the Redis of
// OPENGATE_TEST_REDIS_URL. Without them the test is skipped, or fails under
// OPENGATE_TEST_REQUIRE=1.
func productionEnv(t *testing.T) map[string]string {
	t.Helper()
	serverURL := os.Getenv(iamtest.EnvPostgresURL)
	redisURL := os.Getenv(iamtest.EnvRedisURL)
	if serverURL == "" || redisURL == "" {
		if os.Getenv(iamtest.EnvRequire) == "1" {
			t.Fatalf("%s and %s are required", iamtest.EnvPostgresURL, iamtest.EnvRedisURL)
		}
		t.Skipf("set %s and %s to run the production configuration", iamtest.EnvPostgresURL, iamtest.EnvRedisURL)
	}
	prefix := "ogtest_" + strings.ToLower(iamcrypto.RandomToken(6)) + "_"
	prefix = regexp.MustCompile(`[^a-z0-9_]`).ReplaceAllString(prefix, "x")
	t.Cleanup(func() { dropDatabases(t, serverURL, prefix) })
	return map[string]string{
		"OPENGATE_POSTGRES_URL":    serverURL,
		"OPENGATE_REDIS_URL":       redisURL,
		"OPENGATE_SECRET_KEY":      iamcrypto.RandomToken(32),
		"OPENGATE_ADMIN_PASSWORD":  "bootstrap-Passw0rd",
		"OPENGATE_DATABASE_PREFIX": prefix,
		"OPENGATE_REDIS_PREFIX":    prefix + ":", // tests share the Redis
	}
}

// Two replicas on one set of databases and one Kafka cluster: a realm
// changed through one is seen through the other at once, not when the
// other's realm cache expires (a minute), because the change reaches its
// cache-invalidation consumer over Kafka.
func TestRunReplicasInvalidateEachOthersCachesOverKafka(t *testing.T) {
	env := productionEnv(t)
	env["OPENGATE_KAFKA_BROKERS"] = strings.Join(iamtest.Kafka(t), ",")
	env["OPENGATE_ISSUER_BASE"] = "http://id.example.test" // one issuer behind a load balancer
	envA, envB := map[string]string{"OPENGATE_INSTANCE": "a"}, map[string]string{"OPENGATE_INSTANCE": "b"}
	for k, v := range env {
		envA[k], envB[k] = v, v
	}
	a := start(t, envA)
	b := start(t, envB)
	admin := a.token(t, "master", "admin-cli", "admin", "bootstrap-Passw0rd")
	lifespan := func(s started) int {
		t.Helper()
		resp, body := s.Call(t, "GET", "/admin/realms/master", admin, "")
		var r struct {
			AccessTokenLifespan int `json:"accessTokenLifespan"`
		}
		if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &r) != nil {
			t.Fatalf("GET realm: %d %s", resp.StatusCode, body)
		}
		return r.AccessTokenLifespan
	}
	// B caches master now; A then changes it until B's consumer (which
	// joins its group asynchronously) has seen a change.
	deadline := time.Now().Add(20 * time.Second)
	for want := 601; ; want++ {
		_ = lifespan(b)
		if resp, _ := a.Call(t, "PUT", "/admin/realms/master", admin, fmt.Sprintf(`{"accessTokenLifespan":%d}`, want)); resp.StatusCode != 204 {
			t.Fatalf("PUT realm on A: %d", resp.StatusCode)
		}
		seen := false
		for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
			if lifespan(b) == want {
				seen = true
				break
			}
		}
		if seen {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica B still serves a stale realm %ds after A changed it", 20)
		}
	}
}

// With Kafka, the memory stores publish to the brokers and every consumer
// reads from them: the realm created through the API reaches the clients and
// rbac consumers (admin-cli and default roles in the new realm) over Kafka.
func TestRunEmbeddedWithKafka(t *testing.T) {
	s := start(t, map[string]string{"OPENGATE_KAFKA_BROKERS": strings.Join(iamtest.Kafka(t), ",")})
	exerciseQuickstart(t, s)
}

func TestRunRefusesPostgresWithoutSecretKey(t *testing.T) {
	err := run(context.Background(), nil, boottest.Env(map[string]string{"OPENGATE_POSTGRES_URL": "postgres://x"}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "OPENGATE_SECRET_KEY") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunRefusesAMalformedMFALogCodes(t *testing.T) {
	err := run(context.Background(), nil, boottest.Env(map[string]string{"OPENGATE_MFA_LOG_CODES": "sometimes"}), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "OPENGATE_MFA_LOG_CODES") {
		t.Fatalf("err = %v", err)
	}
}

// A replica started with another OPENGATE_SECRET_KEY than the one the
// databases were first started with is refused with a message that says so;
// with the old key as OPENGATE_SECRET_KEY_PREVIOUS it starts (a rotation),
// and the old key is refused from then on.
func TestRunChecksTheSecretKey(t *testing.T) {
	env := productionEnv(t)
	first := start(t, env)
	with := func(key, previous string) map[string]string {
		e := maps.Clone(env)
		e["OPENGATE_SECRET_KEY"], e["OPENGATE_SECRET_KEY_PREVIOUS"] = key, previous
		return e
	}
	refused := func(e map[string]string) {
		t.Helper()
		err := run(context.Background(), []string{"-addr", "127.0.0.1:0"}, boottest.Env(e), io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "OPENGATE_SECRET_KEY is not the key") ||
			!strings.Contains(err.Error(), "OPENGATE_SECRET_KEY_PREVIOUS") {
			t.Fatalf("run with another key = %v", err)
		}
	}
	newKey := iamcrypto.RandomToken(32)
	refused(with(newKey, ""))
	rotated := start(t, with(newKey, env["OPENGATE_SECRET_KEY"]))
	rotated.token(t, "master", "admin-cli", "admin", "bootstrap-Passw0rd")
	refused(with(env["OPENGATE_SECRET_KEY"], ""))
	if resp, _ := first.Call(t, "GET", "/readyz", "", ""); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("the replica on the old key: /readyz = %d, want 503", resp.StatusCode)
	}
}

func dropDatabases(t *testing.T, serverURL, prefix string) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		t.Errorf("drop test databases: %v", err)
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
	if err != nil {
		t.Errorf("drop test databases: %v", err)
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Errorf("drop test databases: %v", err)
		return
	}
	for _, n := range names {
		if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", n, err)
		}
	}
}

// Review finding 10.19: /metrics was public on the main listener. With
// OPENGATE_MANAGEMENT_ADDR it moves to its own listener.
func TestRunServesMetricsOnTheManagementAddressOnly(t *testing.T) {
	s := start(t, map[string]string{"OPENGATE_MANAGEMENT_ADDR": "127.0.0.1:0"})
	var mgmt string
	for _, line := range s.Output {
		if addr, ok := strings.CutPrefix(line, "opengate: management on "); ok {
			mgmt = strings.TrimSpace(addr)
		}
	}
	if mgmt == "" {
		t.Fatalf("no management line in %q", s.Output)
	}
	if resp, _ := s.Call(t, "GET", "/metrics", "", ""); resp.StatusCode != 404 {
		t.Errorf("GET /metrics on the main address = %d, want 404", resp.StatusCode)
	}
	if resp, _ := s.Call(t, "GET", "/healthz", "", ""); resp.StatusCode != 200 {
		t.Errorf("GET /healthz on the main address = %d, want 200", resp.StatusCode)
	}
	for _, path := range []string{"/metrics", "/healthz", "/readyz"} {
		// /readyz turns 200 once the background tasks are up.
		boottest.Eventually(t, 10*time.Second, "GET "+mgmt+path+" never answered 200", func() bool {
			resp, err := http.Get(mgmt + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode == 200
		})
	}
}

// OPENGATE_PPROF_ADDR serves Go's runtime profiles on a listener of their
// own, on loopback when given a port only; never on the API's.
func TestRunServesProfilesOnlyWhereAsked(t *testing.T) {
	s := start(t, map[string]string{"OPENGATE_PPROF_ADDR": "0"})
	var prof string
	for _, line := range s.Output {
		if u, ok := strings.CutPrefix(line, "opengate: profiles (pprof) on "); ok {
			prof = strings.TrimSpace(u)
		}
	}
	if !strings.HasPrefix(prof, "http://127.0.0.1:") {
		t.Fatalf("no profiles line on loopback in %q", s.Output)
	}
	resp, err := http.Get(prof + "heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "heap profile") {
		t.Fatalf("GET %sheap = %d", prof, resp.StatusCode)
	}
	if resp, _ := s.Call(t, "GET", "/debug/pprof/heap?debug=1", "", ""); resp.StatusCode == 200 {
		t.Fatalf("the API's listener serves profiles")
	}
}
