// Command run measures OpenGate end to end and writes the markdown table of
// docs/benchmarks.md: it builds cmd/opengate and cmd/gateway, starts the
// all-in-one in memory mode and in PostgreSQL+Redis mode (fresh databases
// under a unique OPENGATE_DATABASE_PREFIX and a unique Redis prefix, both
// removed afterwards; rate limits off), and cmd/gateway on a port of its
// own in front of the PostgreSQL+Redis all-in-one, prepares each with
// bench/load's setup, runs every scenario against every target with the
// same workers — interleaved: each scenario on each target in turn, so
// that load from other processes falls on all alike — and prints the table
// headed by the machine's details.
//
//	go run ./bench/run -modes memory,postgres -d 5s > table.md
//	go run ./bench/run -modes memory -scenarios client_credentials,refresh -c 8 -d 10s -rounds 3
//	go run ./bench/run -profile /tmp/opengate-profiles     # CPU profiles under load, outside the repository
//
// PostgreSQL and Redis are -postgres-url and -redis-url (default the test
// environment's OPENGATE_TEST_POSTGRES_URL and OPENGATE_TEST_REDIS_URL).
// -seeded PREFIX adds the mode "seeded": PostgreSQL+Redis on the existing
// databases of bench/seed (never dropped), started with the environment's
// OPENGATE_SECRET_KEY and OPENGATE_ADMIN_PASSWORD, which must be the
// seed's.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/bench/internal/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "run:", err)
		os.Exit(1)
	}
}

// config is bench/run's flags.
type config struct {
	modes      []string // memory, postgres, seeded
	gateway    bool
	scenarios  []scenario
	workers    int
	duration   time.Duration
	warmup     time.Duration
	rounds     int
	users      int
	postgres   string
	redis      string
	seeded     string // database prefix of a seeded deployment
	profileDir string
	command    string // as typed, for the table
	// adminPassword and secretKey come from the environment (seeded mode)
	// or are made up.
	adminPassword, secretKey string
}

// allModes are the modes bench/run starts the all-in-one in.
func allModes() []string { return []string{"memory", "postgres", "seeded"} }

func parse(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	c := config{command: "go run ./bench/run " + strings.Join(args, " ")}
	var modes, scenarios, alg string
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&modes, "modes", "memory,postgres", "all-in-one modes: memory, postgres (fresh databases, dropped afterwards), seeded (needs -seeded)")
	fs.BoolVar(&c.gateway, "gateway", true, "also run every scenario through cmd/gateway in front of the postgres all-in-one")
	fs.StringVar(&scenarios, "scenarios", strings.Join(defaultScenarios(), ","),
		"comma-separated scenarios ("+strings.Join(loadgen.Scenarios(), ", ")+"), each optionally @RS256, @ES256 or @EdDSA")
	fs.StringVar(&alg, "alg", "ES256", "signing algorithm of scenarios without @")
	fs.IntVar(&c.workers, "c", 16, "concurrent keep-alive workers of every run")
	fs.DurationVar(&c.duration, "d", 5*time.Second, "duration of every run")
	fs.DurationVar(&c.warmup, "warmup", time.Second, "unmeasured run of each scenario on each target first (0: none)")
	fs.IntVar(&c.rounds, "rounds", 1, "measured rounds; the table gives each figure's median")
	fs.IntVar(&c.users, "users", 100, "users per realm made by the setup")
	fs.StringVar(&c.postgres, "postgres-url", getenv("OPENGATE_TEST_POSTGRES_URL"), "PostgreSQL server URL (postgres and seeded modes)")
	fs.StringVar(&c.redis, "redis-url", getenv("OPENGATE_TEST_REDIS_URL"), "Redis URL (postgres and seeded modes)")
	fs.StringVar(&c.seeded, "seeded", "", "database prefix of a deployment filled by bench/seed (the seeded mode)")
	fs.StringVar(&c.profileDir, "profile", "", "directory outside the repository for CPU profiles of every server under every scenario (an extra, unmeasured round)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, m := range strings.Split(modes, ",") {
		if m = strings.TrimSpace(m); m == "" {
			continue
		}
		if !slices.Contains(allModes(), m) {
			return config{}, fmt.Errorf("-modes: unknown mode %q (memory, postgres, seeded)", m)
		}
		if !slices.Contains(c.modes, m) {
			c.modes = append(c.modes, m)
		}
	}
	var err error
	if c.scenarios, err = parseScenarios(scenarios, alg); err != nil {
		return config{}, err
	}
	needsDB := slices.Contains(c.modes, "postgres") || slices.Contains(c.modes, "seeded")
	c.gateway = c.gateway && slices.Contains(c.modes, "postgres")
	c.adminPassword, c.secretKey = getenv("OPENGATE_ADMIN_PASSWORD"), getenv("OPENGATE_SECRET_KEY")
	switch {
	case len(c.modes) == 0:
		return config{}, errors.New("-modes names no mode")
	case c.workers < 1 || c.workers > 256:
		return config{}, errors.New("-c must be 1 to 256")
	case c.duration < 100*time.Millisecond || c.duration > 10*time.Minute:
		return config{}, errors.New("-d must be 100ms to 10m")
	case c.warmup < 0 || c.warmup > time.Minute:
		return config{}, errors.New("-warmup must be 0 to 1m")
	case c.rounds < 1 || c.rounds > 100:
		return config{}, errors.New("-rounds must be 1 to 100")
	case c.users < 1 || c.users > 100_000:
		return config{}, errors.New("-users must be 1 to 100000")
	case needsDB && (c.postgres == "" || c.redis == ""):
		return config{}, errors.New("the postgres and seeded modes need -postgres-url and -redis-url (or OPENGATE_TEST_POSTGRES_URL and OPENGATE_TEST_REDIS_URL)")
	case slices.Contains(c.modes, "seeded") && c.seeded == "":
		return config{}, errors.New("the seeded mode needs -seeded PREFIX")
	case slices.Contains(c.modes, "seeded") && (c.adminPassword == "" || c.secretKey == ""):
		return config{}, errors.New("the seeded mode needs the seed's OPENGATE_ADMIN_PASSWORD and OPENGATE_SECRET_KEY in the environment")
	}
	if c.profileDir != "" {
		if c.profileDir, err = filepath.Abs(c.profileDir); err != nil {
			return config{}, err
		}
	}
	if c.adminPassword == "" {
		c.adminPassword = "Bench-" + randomHex(12)
	}
	if c.secretKey == "" {
		c.secretKey = randomKey()
	}
	return c, nil
}

// moduleRoot is the directory of the go.mod of the working directory's
// module (the repository).
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run bench/run inside the OpenGate repository")
	}
	return filepath.Dir(mod), nil
}

// outside fails when dir is inside root: profiles stay out of the
// repository.
func outside(dir, root string) error {
	rel, err := filepath.Rel(root, dir)
	if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return fmt.Errorf("-profile %s is inside the repository %s: give a directory outside it", dir, root)
	}
	return nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	cfg, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	m := describe()
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	if cfg.profileDir != "" {
		if err := outside(cfg.profileDir, root); err != nil {
			return err
		}
		if err := os.MkdirAll(cfg.profileDir, 0o755); err != nil {
			return err
		}
	}
	if cfg.postgres != "" && (slices.Contains(cfg.modes, "postgres") || slices.Contains(cfg.modes, "seeded")) {
		if m.postgres, m.redis, err = serverVersions(ctx, cfg.postgres, cfg.redis); err != nil {
			return err
		}
	}
	work, err := os.MkdirTemp("", "opengate-bench-")
	if err != nil {
		return err
	}
	defer func() {
		if err == nil {
			os.RemoveAll(work)
		} else {
			fmt.Fprintf(stderr, "run: the servers' logs are kept in %s\n", work)
		}
	}()
	fmt.Fprintln(stderr, "run: building cmd/opengate and cmd/gateway")
	bins, err := build(ctx, root, work, stderr)
	if err != nil {
		return err
	}
	m.binarySize = map[string]int64{}
	for name, path := range map[string]string{"opengate": bins.opengate, "gateway": bins.gateway} {
		if st, err := os.Stat(path); err == nil {
			m.binarySize[name] = st.Size()
		}
	}

	d := &deployment{cfg: cfg, bins: bins, logDir: work, stderr: stderr}
	defer func() { err = errors.Join(err, d.close()) }()
	if err := d.start(ctx); err != nil {
		return err
	}
	if err := d.setup(ctx); err != nil {
		return err
	}
	results, err := d.measure(ctx)
	if err != nil {
		return err
	}
	if cfg.profileDir != "" {
		if err := d.profile(ctx, root); err != nil {
			return err
		}
	}
	m.loadEnd = loadAverage()
	return writeTable(stdout, cfg, m, d.targets, results)
}
