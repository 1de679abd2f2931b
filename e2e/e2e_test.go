package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam/iamtest"
)

const adminPassword = "Admin-e2e-passw0rd"

func secretKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// loggedMail matches the all-in-one's log transport lines (text format).
var (
	loggedTo      = regexp.MustCompile(` to=(\S+)`)
	loggedSubject = regexp.MustCompile(` subject=("(?:[^"\\]|\\.)*"|\S+)`)
)

// loggedMails parses the mails the all-in-one logged instead of sending.
func loggedMails(out string) []mail {
	var mails []mail
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, "logged instead") {
			continue
		}
		to, subj := loggedTo.FindStringSubmatch(line), loggedSubject.FindStringSubmatch(line)
		if to == nil || subj == nil {
			continue
		}
		s := subj[1]
		if u, err := strconv.Unquote(s); err == nil {
			s = u
		}
		mails = append(mails, mail{To: to[1], Subject: s})
	}
	return mails
}

// TestAllInOneInMemory runs the scenario against cmd/opengate with nothing
// configured but the administrator's password: memory stores, the
// in-process bus, mail written to the log.
func TestAllInOneInMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	addr := freePort(t)
	p := start(t, "opengate", addr, map[string]string{"OPENGATE_ADMIN_PASSWORD": adminPassword,
		"OPENGATE_ISSUER_BASE": "http://" + addr})
	began := time.Now()
	scenario(t, deployment{base: p.url(), adminPassword: adminPassword, mails: func() []mail { return loggedMails(p.out.String()) }})
	t.Logf("scenario took %s", time.Since(began).Round(time.Millisecond))
}

// services skips (or, under OPENGATE_TEST_REQUIRE=1, fails) without
// PostgreSQL and Redis, and returns the server URL and Redis URL with a
// prefix for this test, whose databases and keys are removed when it ends.
func services(t *testing.T) (pgServer, dbPrefix, redisURL, redisPrefix string) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	pgServer, redisURL = os.Getenv(iamtest.EnvPostgresURL), os.Getenv(iamtest.EnvRedisURL)
	if pgServer == "" || redisURL == "" {
		if os.Getenv(iamtest.EnvRequire) == "1" {
			t.Fatalf("%s and %s are required", iamtest.EnvPostgresURL, iamtest.EnvRedisURL)
		}
		t.Skipf("set %s and %s to run this deployment", iamtest.EnvPostgresURL, iamtest.EnvRedisURL)
	}
	_, redisPrefix = iamtest.Redis(t) // its keys are deleted when t ends
	dbPrefix = "e2e_" + strings.ToLower(strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			return r
		}
		return 'x'
	}, base64.RawURLEncoding.EncodeToString([]byte(secretKey())[:6]))) + "_"
	t.Cleanup(func() { dropDatabases(t, pgServer, dbPrefix) }) // after the processes stop
	return pgServer, dbPrefix, redisURL, redisPrefix
}

// dropDatabases drops every database whose name starts with prefix.
func dropDatabases(t *testing.T, server, prefix string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, server)
	if err != nil {
		t.Errorf("drop databases %s*: %v", prefix, err)
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT datname FROM pg_database WHERE starts_with(datname, $1)", prefix)
	if err != nil {
		t.Errorf("list databases %s*: %v", prefix, err)
		return
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Errorf("list databases %s*: %v", prefix, err)
		return
	}
	for _, n := range names {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", n, err)
		}
	}
}

// TestAllInOneOnPostgresRedisKafka runs the scenario against cmd/opengate
// on PostgreSQL, Redis and a kfake broker on a loopback port.
func TestAllInOneOnPostgresRedisKafka(t *testing.T) {
	pg, dbPrefix, redisURL, redisPrefix := services(t)
	kafka := iamtest.KafkaCluster(t)
	addr := freePort(t)
	p := start(t, "opengate", addr, map[string]string{
		"OPENGATE_ADMIN_PASSWORD":  adminPassword,
		"OPENGATE_ISSUER_BASE":     "http://" + addr,
		"OPENGATE_SECRET_KEY":      secretKey(),
		"OPENGATE_POSTGRES_URL":    pg,
		"OPENGATE_DATABASE_PREFIX": dbPrefix,
		"OPENGATE_REDIS_URL":       redisURL,
		"OPENGATE_REDIS_PREFIX":    redisPrefix,
		"OPENGATE_KAFKA_BROKERS":   strings.Join(kafka.ListenAddrs(), ","),
		"OPENGATE_INSTANCE":        "e2e-1",
	})
	began := time.Now()
	scenario(t, deployment{base: p.url(), adminPassword: adminPassword, kafka: kafka.ListenAddrs(),
		mails: func() []mail { return loggedMails(p.out.String()) }})
	t.Logf("scenario took %s", time.Since(began).Round(time.Millisecond))
}
