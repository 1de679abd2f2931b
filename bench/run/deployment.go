package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/bench/internal/loadgen"
)

// Fixed names of what the setup makes in every realm.
const (
	clientID     = "bench-svc"
	clientSecret = "bench-secret-0123456789abcdef"
	userPassword = "Bench-horse-9-battery"
	redirectURI  = "http://127.0.0.1:9/callback"
)

// scenario is a loadgen scenario in a realm signing with alg.
type scenario struct {
	name, alg string
}

func (s scenario) label() string { return fmt.Sprintf("%s (%s)", s.name, s.alg) }

// realm is the realm the setup makes for alg.
func realmFor(alg string) string { return "bench-" + strings.ToLower(alg) }

// defaultScenarios is every scenario on ES256, and client_credentials on
// RS256 and EdDSA too.
func defaultScenarios() []string {
	return []string{"client_credentials", "client_credentials@RS256", "client_credentials@EdDSA",
		"password", "refresh", "authcode", "introspect", "userinfo", "usersearch"}
}

// parseScenarios reads "name[@ALG],…"; def is the algorithm of names
// without one.
func parseScenarios(list, def string) ([]scenario, error) {
	if !slices.Contains(loadgen.Algorithms(), def) {
		return nil, fmt.Errorf("-alg: %q is not one of %v", def, loadgen.Algorithms())
	}
	var out []scenario
	for _, item := range strings.Split(list, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		name, alg, found := strings.Cut(item, "@")
		if !found {
			alg = def
		}
		if !slices.Contains(loadgen.Scenarios(), name) {
			return nil, fmt.Errorf("-scenarios: unknown scenario %q (%v)", name, loadgen.Scenarios())
		}
		if !slices.Contains(loadgen.Algorithms(), alg) {
			return nil, fmt.Errorf("-scenarios: %q: algorithm %q is not one of %v", item, alg, loadgen.Algorithms())
		}
		s := scenario{name: name, alg: alg}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("-scenarios names no scenario")
	}
	return out, nil
}

// target is where a column's load goes.
type target struct {
	name   string  // memory, postgres, seeded, gateway
	label  string  // the column's heading
	server *server // what the load reaches
	behind *server // the all-in-one behind a gateway, or nil
	// setupURL is the all-in-one the setup talks to (the gateway's
	// all-in-one is prepared directly).
	setupURL string
	// versus names the target this one's throughput is a percentage of.
	versus string
}

// deployment is the running servers and what is cleaned up after them.
type deployment struct {
	cfg     config
	bins    binaries
	logDir  string
	stderr  io.Writer
	servers []*server
	targets []*target
	// cleanups run after the servers stopped: databases and Redis keys.
	cleanups []func(context.Context) error
}

// start starts every mode's all-in-one (and the gateway).
func (d *deployment) start(ctx context.Context) error {
	for _, mode := range d.cfg.modes {
		if err := d.startMode(ctx, mode); err != nil {
			return err
		}
	}
	return nil
}

func (d *deployment) startMode(ctx context.Context, mode string) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	env := []string{"OPENGATE_ADMIN_PASSWORD=" + d.cfg.adminPassword, "OPENGATE_INSTANCE=bench-" + mode,
		"OPENGATE_RATE_LIMIT=off", "OPENGATE_RATE_LIMIT_LOGIN=off", "OPENGATE_RATE_LIMIT_CLIENT=off"}
	if d.cfg.profileDir != "" {
		pp, err := freePort()
		if err != nil {
			return err
		}
		env = append(env, fmt.Sprintf("OPENGATE_PPROF_ADDR=127.0.0.1:%d", pp))
	}
	var gatewayPort int
	label := map[string]string{"memory": "memory", "postgres": "PostgreSQL+Redis", "seeded": "PostgreSQL+Redis, seeded"}[mode]
	if mode != "memory" {
		prefix := d.cfg.seeded
		if mode == "postgres" {
			prefix = "bench_" + randomHex(4) + "_"
			d.cleanups = append(d.cleanups, func(ctx context.Context) error { return dropDatabases(ctx, d.cfg.postgres, prefix) })
		}
		redisPrefix := "opengate-bench:" + randomHex(4) + ":"
		d.cleanups = append(d.cleanups, func(ctx context.Context) error { return deleteKeys(ctx, d.cfg.redis, redisPrefix) })
		env = append(env, "OPENGATE_POSTGRES_URL="+d.cfg.postgres, "OPENGATE_DATABASE_PREFIX="+prefix,
			"OPENGATE_REDIS_URL="+d.cfg.redis, "OPENGATE_REDIS_PREFIX="+redisPrefix, "OPENGATE_SECRET_KEY="+d.cfg.secretKey)
		fmt.Fprintf(d.stderr, "run: %s: databases %s*, Redis keys %s*, migrating\n", mode, prefix, redisPrefix)
		if err := migrate(ctx, d.bins.opengate, env, d.logDir); err != nil {
			return err
		}
		if mode == "postgres" && d.cfg.gateway {
			if gatewayPort, err = freePort(); err != nil {
				return err
			}
			// Tokens are issued for the public URL, the gateway's; the
			// gateway's X-Forwarded-For is believed.
			env = append(env, fmt.Sprintf("OPENGATE_ISSUER_BASE=http://127.0.0.1:%d", gatewayPort),
				"OPENGATE_TRUSTED_PROXIES=127.0.0.1/32")
		}
	}
	fmt.Fprintf(d.stderr, "run: starting the all-in-one (%s)\n", mode)
	s, err := startServer(ctx, mode, d.bins.opengate, port, env, d.logDir)
	if err != nil {
		return err
	}
	d.servers = append(d.servers, s)
	t := &target{name: mode, label: label, server: s, setupURL: s.url}
	switch mode {
	case "postgres":
		t.versus = "memory"
	case "seeded":
		t.versus = "postgres"
		if !slices.Contains(d.cfg.modes, "postgres") {
			t.versus = "memory"
		}
	}
	d.targets = append(d.targets, t)
	if gatewayPort == 0 {
		return nil
	}
	return d.startGateway(ctx, s, gatewayPort, env)
}

// startGateway starts cmd/gateway on port in front of the all-in-one up:
// every service's URL is the all-in-one's, auth's Redis is its Redis.
func (d *deployment) startGateway(ctx context.Context, up *server, port int, upEnv []string) error {
	env := []string{"OPENGATE_ISSUER_BASE=" + fmt.Sprintf("http://127.0.0.1:%d", port), "OPENGATE_INSTANCE=bench-gateway",
		"OPENGATE_RATE_LIMIT=off", "OPENGATE_RATE_LIMIT_LOGIN=off", "OPENGATE_RATE_LIMIT_CLIENT=off"}
	for _, kv := range upEnv {
		if strings.HasPrefix(kv, "OPENGATE_REDIS_URL=") || strings.HasPrefix(kv, "OPENGATE_REDIS_PREFIX=") {
			env = append(env, kv)
		}
	}
	for _, svc := range []string{"AUTH", "REALMS", "USERS", "RBAC", "CLIENTS", "SESSION", "MFA", "NOTIFY"} {
		env = append(env, "OPENGATE_"+svc+"_URL="+up.url)
	}
	if d.cfg.profileDir != "" {
		pp, err := freePort()
		if err != nil {
			return err
		}
		env = append(env, fmt.Sprintf("OPENGATE_PPROF_ADDR=127.0.0.1:%d", pp))
	}
	fmt.Fprintln(d.stderr, "run: starting cmd/gateway in front of the PostgreSQL+Redis all-in-one")
	s, err := startServer(ctx, "gateway", d.bins.gateway, port, env, d.logDir)
	if err != nil {
		return err
	}
	d.servers = append(d.servers, s)
	d.targets = append(d.targets, &target{name: "gateway", label: "through cmd/gateway (PostgreSQL+Redis)",
		server: s, behind: up, setupURL: up.url, versus: "postgres"})
	return nil
}

// setup prepares every all-in-one: one realm per algorithm the scenarios
// use, each with the client and users.
func (d *deployment) setup(ctx context.Context) error {
	var algs []string
	for _, s := range d.cfg.scenarios {
		if !slices.Contains(algs, s.alg) {
			algs = append(algs, s.alg)
		}
	}
	for _, t := range d.targets {
		if t.behind != nil {
			continue // its all-in-one is prepared as its own target
		}
		for _, alg := range algs {
			fmt.Fprintf(d.stderr, "run: %s: setting up realm %s\n", t.name, realmFor(alg))
			err := loadgen.Setup{Base: t.setupURL, Admin: loadgen.Admin{User: "admin", Password: d.cfg.adminPassword},
				Realm: realmFor(alg), Algorithm: alg, ClientID: clientID, Secret: clientSecret, RedirectURI: redirectURI,
				Users: d.cfg.users, Password: userPassword}.Run(ctx)
			if err != nil {
				return fmt.Errorf("%s: setup: %w", t.name, err)
			}
		}
	}
	return nil
}

// loadConfig is one run of s against t.
func (d *deployment) loadConfig(t *target, s scenario, duration time.Duration) loadgen.Config {
	return loadgen.Config{Base: t.server.url, Realm: realmFor(s.alg), ClientID: clientID, Secret: clientSecret,
		Username: "user-1", Password: userPassword, RedirectURI: redirectURI, Search: "user-1",
		Admin: loadgen.Admin{User: "admin", Password: d.cfg.adminPassword}, Scenario: s.name,
		Workers: d.cfg.workers, Duration: duration}
}

// results are the measured runs: target name → scenario → one per round.
type results map[string]map[scenario][]loadgen.Result

// measure warms every scenario up on every target, then runs the rounds:
// in each, every scenario on every target in turn (in the reverse order
// every other round).
func (d *deployment) measure(ctx context.Context) (results, error) {
	res := results{}
	for _, t := range d.targets {
		res[t.name] = map[scenario][]loadgen.Result{}
	}
	for round := range d.cfg.rounds {
		// Every other round takes the targets in the reverse order, so
		// that neither is always measured first.
		order := slices.Clone(d.targets)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, s := range d.cfg.scenarios {
			for _, t := range order {
				if round == 0 && d.cfg.warmup > 0 {
					if _, err := loadgen.Run(ctx, d.loadConfig(t, s, d.cfg.warmup)); err != nil {
						return nil, fmt.Errorf("%s, warm-up: %w", t.name, err)
					}
				}
				r, err := loadgen.Run(ctx, d.loadConfig(t, s, d.cfg.duration))
				if err != nil {
					return nil, fmt.Errorf("%s: %w", t.name, err)
				}
				fmt.Fprintf(d.stderr, "run: round %d, %s, %s: %s\n", round+1, t.name, s.alg, r)
				if r.Failed > 0 {
					fmt.Fprintf(d.stderr, "run:   first failure: %s\n", r.FirstError)
				}
				res[t.name][s] = append(res[t.name][s], r)
			}
		}
	}
	return res, nil
}

// close stops the servers and removes their databases and Redis keys.
func (d *deployment) close() error {
	for _, s := range slices.Backward(d.servers) {
		s.stop()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	for _, c := range d.cleanups {
		errs = append(errs, c(ctx))
	}
	return errors.Join(errs...)
}
