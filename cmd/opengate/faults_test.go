package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// childEnv makes the test binary run the all-in-one instead of the tests:
// the fault tests start it as a child process, which they can kill -9.
const childEnv = "OPENGATE_FAULT_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "opengate:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// child is the all-in-one running as a process of its own.
type child struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited
}

// startChild starts the all-in-one on addr with env added to the test's,
// appending its stderr to logPath, and returns once it listens.
func startChild(t *testing.T, addr string, env []string, logPath string) *child {
	t.Helper()
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-addr", addr)
	cmd.Env = append(append(os.Environ(), childEnv+"=1"), env...)
	cmd.Stderr = logFile
	dieWithTest(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(c.done)
	}()
	t.Cleanup(func() { c.kill() })
	listening := make(chan struct{})
	go func() {
		lines := bufio.NewScanner(stdout)
		signalled := false
		for lines.Scan() {
			if !signalled && strings.Contains(lines.Text(), "listening on") {
				close(listening)
				signalled = true
			}
		}
	}()
	select {
	case <-listening:
	case <-c.done:
		t.Fatalf("the all-in-one exited at start; its log is %s", logPath)
	case <-time.After(90 * time.Second):
		t.Fatalf("the all-in-one did not listen within 90 s; its log is %s", logPath)
	}
	return c
}

// kill kills the process at once (SIGKILL: no shutdown of any kind).
func (c *child) kill() {
	_ = c.cmd.Process.Kill()
	<-c.done
}

// stop stops the process gracefully and returns how long it took.
func (c *child) stop(t *testing.T) time.Duration {
	t.Helper()
	start := time.Now()
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(60 * time.Second):
		t.Fatal("the all-in-one did not stop within 60 s of SIGTERM")
	}
	if code := c.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("graceful stop exited with %d", code)
	}
	return time.Since(start)
}

// faultEnv is an all-in-one on PostgreSQL (databases of its own), Redis and
// the Kafka-protocol broker at seeds.
type faultEnv struct {
	base    string // http://127.0.0.1:port
	addr    string
	env     []string
	server  string // the PostgreSQL server
	prefix  string // of the databases
	logPath string
}

func newFaultEnv(t *testing.T, seeds []string) faultEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	server := iamtest.PostgresServer(t)
	random := make([]byte, 4)
	for i := range random {
		random[i] = byte(rand.IntN(256))
	}
	prefix := "og_fault_" + hex.EncodeToString(random) + "_"
	iamtest.DropDatabases(t, server, prefix)
	_, redisPrefix := iamtest.Redis(t)
	f := faultEnv{base: "http://" + addr, addr: addr, server: server, prefix: prefix,
		logPath: t.TempDir() + "/opengate.log"}
	f.env = []string{
		"OPENGATE_POSTGRES_URL=" + server,
		"OPENGATE_DATABASE_PREFIX=" + prefix,
		"OPENGATE_REDIS_URL=" + iamtest.RedisURL(t),
		"OPENGATE_REDIS_PREFIX=" + redisPrefix,
		"OPENGATE_KAFKA_BROKERS=" + strings.Join(seeds, ","),
		"OPENGATE_INSTANCE=fault-1", // static membership: the restart is the same member
		"OPENGATE_SECRET_KEY=" + iamcrypto.EncodeKey(iamcrypto.GenerateKey()),
		"OPENGATE_ADMIN_PASSWORD=" + adminPassword,
		"OPENGATE_ISSUER_BASE=" + f.base,
		"OPENGATE_RATE_LIMIT=off",
		"OPENGATE_RATE_LIMIT_LOGIN=off",
		"OPENGATE_RATE_LIMIT_CLIENT=off",
		"OPENGATE_LOG_FORMAT=json",
	}
	return f
}

const adminPassword = "fault-test-admin-9"

func (f faultEnv) start(t *testing.T) *child {
	t.Helper()
	return startChild(t, f.addr, f.env, f.logPath)
}

// db opens one of the all-in-one's databases ("users", "rbac", ...).
func (f faultEnv) db(t *testing.T, service string) *pgx.Conn {
	t.Helper()
	u, err := url.Parse(f.server)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + f.prefix + service
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func count(t *testing.T, conn *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// api calls the all-in-one; a connection error is status 0.
func api(method, base, path, token, body string) (int, http.Header, string) {
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err.Error()
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func adminToken(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.PostForm(base+"/realms/master/protocol/openid-connect/token", url.Values{
		"grant_type": {"password"}, "client_id": {"admin-cli"}, "username": {"admin"}, "password": {adminPassword},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.AccessToken == "" {
		t.Fatalf("admin token: %d %v", resp.StatusCode, err)
	}
	return body.AccessToken
}

// until polls cond every 50 ms until it holds, failing the test with what
// after limit: a guard against hanging, never what a test measures.
func until(t *testing.T, limit time.Duration, what string, cond func() bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s (after %s)", what, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Now()
}

// writers create users in realm through the API until stop, counting the
// creations the API confirmed; requests that fail (the process is down)
// are retried after a short pause.
func writers(base, token, realm string, n int, stop <-chan struct{}) (created *atomic.Int64, wait func()) {
	created = &atomic.Int64{}
	var wg sync.WaitGroup
	for w := range n {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				body := fmt.Sprintf(`{"username":"w%d-%d","email":"w%d-%d@fault.test","enabled":true}`, w, i, w, i)
				status, _, _ := api("POST", base, "/admin/realms/"+realm+"/users", token, body)
				switch status {
				case http.StatusCreated:
					created.Add(1)
				case http.StatusConflict:
					// created before a crash cut the response off
				default:
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
	return created, wg.Wait
}

// The all-in-one is killed (SIGKILL) while users are being created, and
// started again under the same instance name: every committed user gets
// its default role (the rbac consumer) and its welcome mail recorded (the
// notify consumer) exactly once — one role_mapping.changed event and one
// delivery per user, none missing — and the consumers resume without
// waiting for the dead member's session to expire (45 s): the restarted
// process is the same static member. The times are logged
// (docs/events.md#what-survives-which-fault).
func TestKill9WhileEventsFlowLosesAndRepeatsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the all-in-one")
	}
	f := newFaultEnv(t, iamtest.Kafka(t))
	first := f.start(t)
	token := adminToken(t, f.base)
	if status, _, body := api("POST", f.base, "/admin/realms", token, `{"realm":"fault","enabled":true}`); status != http.StatusCreated {
		t.Fatalf("create realm: %d %s", status, body)
	}
	users, rbacDB, notifyDB := f.db(t, "users"), f.db(t, "rbac"), f.db(t, "notifications")
	const realm = "fault"
	total := func() int { return count(t, users, `SELECT count(*) FROM users WHERE realm_name = $1`, realm) }
	granted := func() int {
		return count(t, rbacDB, `SELECT count(*) FROM rbac_mappings m JOIN rbac_roles r ON r.realm_name = m.realm_name AND r.id = m.role_id
			WHERE m.realm_name = $1 AND r.name = $2 AND m.principal_type = 'user'`, realm, "default-roles-"+realm)
	}

	stop := make(chan struct{})
	created, wait := writers(f.base, token, realm, 4, stop)
	until(t, 60*time.Second, "users are not being created", func() bool { return created.Load() >= 150 })

	first.kill()
	killed := time.Now()
	// Commits the dead process had sent still land; then its backlog is
	// fixed: the users created so far, of whom before have their role.
	time.Sleep(300 * time.Millisecond)
	before, backlog := granted(), total()
	second := f.start(t)
	restarted := time.Now()
	// The restarted process grants roles again: first to the users whose
	// events the dead one had not handled.
	resumed := until(t, 60*time.Second, "no default role granted after the restart", func() bool { return granted() > before })
	handledBacklog := until(t, 60*time.Second, "the users created before the kill never all got their role",
		func() bool { return granted() >= backlog })
	time.Sleep(2 * time.Second) // writers go on against the restarted process
	close(stop)
	wait()
	stopped := time.Now()

	var n int
	caughtUp := until(t, 60*time.Second, "not every user got their default role", func() bool {
		n = total()
		return granted() == n
	})
	if int64(n) < created.Load() {
		t.Fatalf("%d users in the database, but the API confirmed %d", n, created.Load())
	}
	// Exactly once: one role_mapping.changed event per user (a repeated
	// effect would write a second), one welcome mail per user.
	if dup := count(t, rbacDB, `SELECT count(*) FROM (SELECT key FROM outbox WHERE topic = 'role_mapping.changed' AND realm_name = $1
		GROUP BY key HAVING count(*) <> 1) d`, realm); dup != 0 {
		t.Errorf("%d users' default role was granted more than once", dup)
	}
	if events := count(t, rbacDB, `SELECT count(*) FROM outbox WHERE topic = 'role_mapping.changed' AND realm_name = $1`, realm); events != n {
		t.Errorf("%d role_mapping.changed events for %d users", events, n)
	}
	if created := count(t, users, `SELECT count(*) FROM outbox WHERE topic = 'user.created' AND realm_name = $1`, realm); created != n {
		t.Errorf("%d user.created events for %d users", created, n)
	}
	until(t, 60*time.Second, "not every user's welcome mail was recorded", func() bool {
		return count(t, notifyDB, `SELECT count(*) FROM deliveries WHERE realm_name = $1 AND kind = 'welcome'`, realm) >= n
	})
	if mails := count(t, notifyDB, `SELECT count(*) FROM deliveries WHERE realm_name = $1 AND kind = 'welcome'`, realm); mails != n {
		t.Errorf("%d welcome mails recorded for %d users", mails, n)
	}
	// The event pipeline's metrics are served, from the databases and the
	// broker.
	_, _, metrics := api("GET", f.base, "/metrics", "", "")
	for _, series := range []string{`opengate_outbox_unsent_events{database="users"}`, `opengate_outbox_oldest_unsent_age_seconds{database="rbac"}`,
		`opengate_outbox_published_events_total{database="users"}`, `opengate_events_handled_total{group="rbac",topic="user.created"}`,
		`opengate_consumer_lag_events{group="rbac",topic="user.created"}`} {
		if !strings.Contains(metrics, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	graceful := second.stop(t)
	if os.Getenv("FAULT_DEBUG") != "" {
		t.Log(restarted.Format(time.RFC3339Nano), resumed.Format(time.RFC3339Nano))
		t.Log(readLog(t, f.logPath))
	}
	t.Logf("%d users; at the kill %d, %d of them with their role; the restarted process listened %.1f s after the kill, "+
		"granted roles again %.1f s after it listened and had handled the kill's backlog %.1f s after it listened; "+
		"caught up %.1f s after the writers stopped; graceful stop %.1f s",
		n, backlog, before, restarted.Sub(killed).Seconds(), resumed.Sub(restarted).Seconds(), handledBacklog.Sub(restarted).Seconds(),
		caughtUp.Sub(stopped).Seconds(), graceful.Seconds())
	// The dead member's session would hold its partitions for 45 s: well
	// before that, the restarted one is handling them.
	if d := handledBacklog.Sub(restarted); d > 30*time.Second {
		t.Errorf("effects resumed %s after the restart: the restarted process waited for the dead one's session", d)
	}
}

// The broker comes back empty while the all-in-one runs: without a restart
// of OpenGate, events written afterwards are published (the relays re-create
// the topics) and consumed (the consumers re-add them): a realm created then
// gets its admin-cli client and default roles.
func TestBrokerRestartedEmptyWhileRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the all-in-one")
	}
	kafka := iamtest.NewRestartableKafka(t)
	f := newFaultEnv(t, kafka.Seeds())
	proc := f.start(t)
	token := adminToken(t, f.base)
	clientsDB, rbacDB := f.db(t, "clients"), f.db(t, "rbac")
	adminCLI := func(realm string) int {
		return count(t, clientsDB, `SELECT count(*) FROM clients WHERE realm_name = $1 AND client_id = 'admin-cli'`, realm)
	}
	createRealm := func(realm string) {
		t.Helper()
		until(t, 30*time.Second, "cannot create realm "+realm, func() bool {
			status, _, _ := api("POST", f.base, "/admin/realms", token, `{"realm":"`+realm+`","enabled":true}`)
			return status == http.StatusCreated
		})
	}
	createRealm("before")
	until(t, 30*time.Second, "realm before never got admin-cli", func() bool { return adminCLI("before") == 1 })

	kafka.RestartEmpty()
	restarted := time.Now()
	createRealm("after")
	done := until(t, 60*time.Second, "realm after never got admin-cli: events are not published or consumed after the broker came back empty",
		func() bool { return adminCLI("after") == 1 })
	until(t, 30*time.Second, "realm after never got its default roles", func() bool {
		return count(t, rbacDB, `SELECT count(*) FROM rbac_roles WHERE realm_name = 'after' AND name = 'default-roles-after'`) == 1
	})
	logged := readLog(t, f.logPath)
	healed := strings.Count(logged, "purging and re-adding them")
	t.Logf("admin-cli in the realm created after the broker restart %.1f s after it; %d healing lines, %d log lines in all",
		done.Sub(restarted).Seconds(), healed, strings.Count(logged, "\n"))
	if healed == 0 {
		t.Error("nothing healed the re-created topics: the test did not exercise the fault")
	}

	proc.stop(t)
}

func readLog(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
