package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/bench/internal/loadgen"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestParseScenarios(t *testing.T) {
	got, err := parseScenarios("refresh, client_credentials@RS256,refresh@ES256,usersearch", "ES256")
	if err != nil {
		t.Fatal(err)
	}
	want := []scenario{{"refresh", "ES256"}, {"client_credentials", "RS256"}, {"usersearch", "ES256"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v (duplicates dropped)", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	for name, list := range map[string]string{
		"UnknownScenario": "client_credentials,nope", "UnknownAlgorithm": "refresh@HS256", "Nothing": " , ",
	} {
		t.Run(name, func(t *testing.T) {
			if s, err := parseScenarios(list, "ES256"); err == nil {
				t.Fatalf("parseScenarios(%q) = %v", list, s)
			}
		})
	}
}

func TestRejectsBadFlags(t *testing.T) {
	noEnv := func(string) string { return "" }
	for name, args := range map[string][]string{
		"UnknownMode":         {"-modes", "memory,disk"},
		"NoMode":              {"-modes", ","},
		"PostgresWithoutURLs": {"-modes", "postgres"},
		"SeededWithoutPrefix": {"-modes", "memory,seeded", "-postgres-url", "postgres://x", "-redis-url", "redis://x"},
		"SeededWithoutKeys":   {"-modes", "seeded", "-seeded", "s_", "-postgres-url", "postgres://x", "-redis-url", "redis://x"},
		"NoWorkers":           {"-c", "0"},
		"TooShort":            {"-d", "1ms"},
		"NoRounds":            {"-rounds", "0"},
		"BadAlgorithm":        {"-alg", "none"},
		"StrayArgument":       {"extra"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parse(args, noEnv, io.Discard); err == nil {
				t.Fatalf("parse(%q) succeeded", args)
			}
		})
	}
}

func TestProfilesStayOutsideTheRepository(t *testing.T) {
	root := filepath.FromSlash("/src/opengate")
	for dir, inside := range map[string]bool{
		"/src/opengate":              true,
		"/src/opengate/profiles":     true,
		"/src/opengate/bench/x":      true,
		"/src/opengate-profiles":     false,
		"/tmp/opengate-profiles":     false,
		"/src/opengate/../elsewhere": false,
	} {
		err := outside(filepath.Clean(filepath.FromSlash(dir)), root)
		if (err != nil) != inside {
			t.Errorf("outside(%q) = %v, want an error: %v", dir, err, inside)
		}
	}
}

func TestFormats(t *testing.T) {
	for d, want := range map[time.Duration]string{
		420 * time.Microsecond: "0.42 ms", 3400 * time.Microsecond: "3.4 ms", 31 * time.Millisecond: "31 ms",
		1234567 * time.Microsecond: "1,235 ms",
	} {
		if got := millis(d); got != want {
			t.Errorf("millis(%s) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// The table gives each target's medians over the rounds and its throughput
// as a percentage of the target it is compared with.
func TestTableGivesMediansAndRatios(t *testing.T) {
	result := func(rate float64, p50, p99 time.Duration, failed int64) loadgen.Result {
		lat := make([]time.Duration, 100)
		for i := range lat {
			lat[i] = p50
		}
		lat[98], lat[99] = p99, p99
		return loadgen.Result{OK: int64(rate), Failed: failed, Elapsed: time.Second, Latencies: lat}
	}
	s := scenario{"client_credentials", "ES256"}
	mem := &target{name: "memory", label: "memory", server: &server{startup: 63 * time.Millisecond, idleRSS: 48 << 20}}
	pg := &target{name: "postgres", label: "PostgreSQL+Redis", versus: "memory", server: &server{startup: 362 * time.Millisecond, idleRSS: 56 << 20}}
	res := results{
		"memory":   {s: {result(6000, time.Millisecond, 4*time.Millisecond, 0), result(5000, 2*time.Millisecond, 5*time.Millisecond, 0), result(7000, 3*time.Millisecond, 9*time.Millisecond, 0)}},
		"postgres": {s: {result(4500, time.Millisecond, 6*time.Millisecond, 2), result(3000, time.Millisecond, 6*time.Millisecond, 0), result(1000, time.Millisecond, 6*time.Millisecond, 0)}},
	}
	cfg := config{command: "go run ./bench/run -rounds 3", scenarios: []scenario{s}, workers: 16, duration: 5 * time.Second, rounds: 3}
	m := machine{date: time.Date(2026, 12, 2, 9, 17, 0, 0, time.UTC), cpu: "AMD EPYC", cores: 2, goVersion: "go1.26.8",
		loadStart: "5.26 / 6.34 / 5.45", loadEnd: "5.79 / 6.40 / 5.48", postgres: "15.20", redis: "7.0.15",
		binarySize: map[string]int64{"opengate": 51 << 20}}
	var out bytes.Buffer
	if err := writeTable(&out, cfg, m, []*target{mem, pg}, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Measured 2026-12-02 09:17 UTC with `go run ./bench/run -rounds 3`",
		"load average (1 / 5 / 15 min): 5.26 / 6.34 / 5.45 at the start, 5.79 / 6.40 / 5.48 at the end",
		"PostgreSQL 15.20 and Redis 7.0.15", "medians of 3 rounds", "opengate 51.0 MiB",
		"memory 63 ms, 48.0 MiB; postgres 362 ms, 56.0 MiB",
		"| scenario | memory req/s | p50 | p99 | PostgreSQL+Redis req/s | p50 | p99 | % of memory |",
		"| client_credentials (ES256) | 6,000 | 2.0 ms | 5.0 ms | 3,000 (2 failed) | 1.0 ms | 6.0 ms | 50 % |",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the table lacks %q:\n%s", want, out.String())
		}
	}
}

// The whole command in memory mode: it builds and starts the all-in-one,
// sets it up, measures and prints a row per scenario.
func TestRunInMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the all-in-one")
	}
	var out, errs bytes.Buffer
	// authcode signs in through the login form: one argon2id hash per
	// flow, a few hundred milliseconds on a busy 2-core machine, so its
	// run is long enough for several.
	err := run(context.Background(), []string{"-modes", "memory", "-scenarios", "client_credentials,usersearch,authcode",
		"-c", "2", "-d", "2s", "-warmup", "0", "-users", "3"}, func(string) string { return "" }, &out, &errs)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errs.String())
	}
	for _, row := range []string{"client_credentials", "usersearch", "authcode"} {
		// A p99 may carry the censored mark (" *") on a busy machine.
		if !regexp.MustCompile(`\| ` + row + ` \(ES256\) \| [1-9][\d,]* \| [\d.]+ ms \| [\d.,]+ ms( \*)? \|`).MatchString(out.String()) {
			t.Errorf("no %s row with a throughput:\n%s", row, out.String())
		}
	}
	if strings.Contains(out.String(), "failed") {
		t.Errorf("failures:\n%s\n%s", out.String(), errs.String())
	}
}

// In PostgreSQL+Redis mode with the gateway, every target is measured,
// and the run's databases and Redis keys are gone afterwards.
func TestRunOnPostgresRemovesItsDatabasesAndKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts the all-in-one and the gateway")
	}
	pgURL, redisURL := iamtest.PostgresServer(t), iamtest.RedisURL(t)
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"-modes", "postgres", "-scenarios", "client_credentials,usersearch",
		"-c", "2", "-d", "300ms", "-warmup", "0", "-users", "3", "-postgres-url", pgURL, "-redis-url", redisURL},
		func(string) string { return "" }, &out, &errs)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errs.String())
	}
	if !regexp.MustCompile(`\| usersearch \(ES256\) \| [1-9][\d,]* \| .* \| [1-9][\d,]* \| [\d.]+ ms \| [\d.,]+ ms( \*)? \| \d+ % \|`).MatchString(out.String()) {
		t.Errorf("no usersearch row with the gateway's throughput and ratio:\n%s", out.String())
	}
	prefix := regexp.MustCompile(`databases (bench_[0-9a-f]+_)\*, Redis keys (opengate-bench:[0-9a-f]+:)\*`).FindStringSubmatch(errs.String())
	if prefix == nil {
		t.Fatalf("no database prefix in %s", errs.String())
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var left int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_database WHERE starts_with(datname, $1)", prefix[1]).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d databases %s* left (%v)", left, prefix[1], err)
	}
	opt, err := rueidis.ParseURL(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	opt.DisableCache = true
	rc, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	keys, err := rc.Do(ctx, rc.B().Keys().Pattern(prefix[2]+"*").Build()).AsStrSlice()
	if err != nil || len(keys) != 0 {
		t.Errorf("Redis keys left: %v (%v)", keys, err)
	}
}

func TestTableMarksUnderstatedPercentiles(t *testing.T) {
	s := scenario{"usersearch", "ES256"}
	r := loadgen.Result{OK: 5, Elapsed: time.Second, Latencies: []time.Duration{time.Millisecond, 2 * time.Millisecond},
		Unfinished: 1, Cut: []time.Duration{5 * time.Second}, LongestUnfinished: 5 * time.Second}
	var out bytes.Buffer
	err := writeTable(&out, config{scenarios: []scenario{s}, rounds: 1}, machine{},
		[]*target{{name: "seeded", label: "seeded", server: &server{}}}, results{"seeded": {s: {r}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "| usersearch (ES256) | 5 | 1.0 ms | 1.0 ms * |") ||
		!strings.Contains(out.String(), "the real p99 is higher") {
		t.Fatalf("table:\n%s", out.String())
	}
}
