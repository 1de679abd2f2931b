// Command seed fills a running OpenGate deployment (the all-in-one on
// PostgreSQL, normally) with many realms, clients and users for the scale
// measurements of docs/benchmarks.md, through the admin API as master's
// administrator — so every row is the one the services write themselves,
// events and their consumers' effects included:
//
//   - -realms N realms seed-00000, seed-00001, … (signing with -alg), each
//     with -clients M confidential clients app-0 … (service account and
//     direct access grants) and -users K users user-0 … imported with
//     partialImport and a pre-hashed argon2id password (-password);
//
//   - -search 100000,1000000: one realm per count (search-100k,
//     search-1m) of users with varied names, emails and attributes (the
//     distribution of users/userspg's BenchmarkSearch100k), imported 10,000
//     at a time.
//
//     OPENGATE_ADMIN_PASSWORD=... go run ./bench/seed -base http://127.0.0.1:8080 \
//     -realms 10000 -clients 10 -users 100 -search 100000,1000000 -c 4
//
// Running it again brings what exists back to that state (a realm's
// settings, its clients re-created, users overwritten); -from resumes at a
// realm number.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opengate-iam/opengate/bench/internal/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

type config struct {
	base           string
	admin          loadgen.Admin
	realms, from   int
	clients, users int
	alg, password  string
	search         []int
	workers, batch int
	// copy: the search realms' users go straight into the users
	// database (postgres, dbPrefix) instead of through partialImport.
	searchCopy         bool
	postgres, dbPrefix string
	progress           time.Duration
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	var search string
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.base, "base", "http://127.0.0.1:8080", "OpenGate base URL")
	fs.StringVar(&c.admin.User, "admin-user", "admin", "master administrator; its password is OPENGATE_ADMIN_PASSWORD")
	fs.IntVar(&c.realms, "realms", 10_000, "realms seed-00000 … to fill")
	fs.IntVar(&c.from, "from", 0, "first realm number (to resume)")
	fs.IntVar(&c.clients, "clients", 10, "clients per realm")
	fs.IntVar(&c.users, "users", 100, "users per realm")
	fs.StringVar(&c.alg, "alg", "ES256", "the realms' signing algorithm: "+strings.Join(loadgen.Algorithms(), ", "))
	fs.StringVar(&c.password, "password", "Seed-horse-9-battery", "every seeded user's password")
	fs.StringVar(&search, "search", "", "comma-separated user counts of the search realms (e.g. 100000,1000000)")
	fs.BoolVar(&c.searchCopy, "search-copy", false, "write the search realms' users into the users database with COPY (needs -postgres-url and -database-prefix) instead of partialImport")
	fs.StringVar(&c.postgres, "postgres-url", "", "-search-copy: the PostgreSQL server URL the deployment uses")
	fs.StringVar(&c.dbPrefix, "database-prefix", "opengate_", "-search-copy: the deployment's OPENGATE_DATABASE_PREFIX")
	fs.IntVar(&c.batch, "batch", 1000, "users per partialImport of the search realms (1..10000)")
	fs.IntVar(&c.workers, "c", 4, "concurrent admin calls (1..64)")
	fs.DurationVar(&c.progress, "progress", 10*time.Second, "how often progress is printed")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, s := range strings.Split(search, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 10_000_000 {
			return config{}, fmt.Errorf("-search: %q is not a user count of 1 to 10,000,000", s)
		}
		c.search = append(c.search, n)
	}
	c.admin.Password = getenv("OPENGATE_ADMIN_PASSWORD")
	switch {
	case c.admin.Password == "":
		return config{}, errors.New("OPENGATE_ADMIN_PASSWORD (the master administrator's password) is required")
	case c.realms < 0 || c.realms > 100_000 || c.from < 0 || c.from > c.realms:
		return config{}, errors.New("-realms must be 0 to 100000 and -from 0 to -realms")
	case c.clients < 0 || c.clients > 1000 || c.users < 0 || c.users > 10_000:
		return config{}, errors.New("-clients must be 0 to 1000 and -users 0 to 10000")
	case c.workers < 1 || c.workers > 64:
		return config{}, errors.New("-c must be 1 to 64")
	case c.searchCopy && c.postgres == "":
		return config{}, errors.New("-search-copy needs -postgres-url")
	case c.batch < 1 || c.batch > 10_000:
		return config{}, errors.New("-batch must be 1 to 10000")
	case c.progress <= 0:
		return config{}, errors.New("-progress must be positive")
	}
	found := false
	for _, a := range loadgen.Algorithms() {
		found = found || a == c.alg
	}
	if !found {
		return config{}, fmt.Errorf("-alg: %q is not one of %v", c.alg, loadgen.Algorithms())
	}
	return c, nil
}

// realmName is the name of seeded realm i.
func realmName(i int) string { return fmt.Sprintf("seed-%05d", i) }

// searchRealmName is the name of the search realm of n users
// (search-100k, search-1m, search-2500).
func searchRealmName(n int) string {
	switch {
	case n%1_000_000 == 0:
		return fmt.Sprintf("search-%dm", n/1_000_000)
	case n%1000 == 0:
		return fmt.Sprintf("search-%dk", n/1000)
	}
	return fmt.Sprintf("search-%d", n)
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	client := loadgen.NewHTTPClient(cfg.workers)
	client.Timeout = 10 * time.Minute // a large partialImport is one transaction
	api := loadgen.NewAdminAPI(cfg.base, cfg.admin, client)
	cred := loadgen.HashedPassword(cfg.password)
	start := time.Now()
	if cfg.realms > cfg.from {
		if err := seedRealms(ctx, cfg, api, cred, stderr); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded realms %s to %s (%d clients and %d users each) in %s\n",
			realmName(cfg.from), realmName(cfg.realms-1), cfg.clients, cfg.users, time.Since(start).Round(time.Second))
	}
	for _, n := range cfg.search {
		t := time.Now()
		if err := seedSearch(ctx, cfg, api, cred, n, stderr); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "seeded realm %s (%d users) in %s\n", searchRealmName(n), n, time.Since(t).Round(time.Second))
	}
	return nil
}

// seedRealms fills realms cfg.from … cfg.realms-1, cfg.workers at a time.
func seedRealms(ctx context.Context, cfg config, api *loadgen.AdminAPI, cred map[string]any, stderr io.Writer) error {
	next := atomic.Int64{}
	next.Store(int64(cfg.from))
	var done atomic.Int64
	stop := progress(ctx, cfg.progress, stderr, "realms", int64(cfg.realms-cfg.from), &done)
	defer stop()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for range cfg.workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= cfg.realms {
					return
				}
				if err := seedRealm(ctx, cfg, api, cred, realmName(i)); err != nil {
					cancel(fmt.Errorf("%s: %w", realmName(i), err))
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// seedRealm makes one realm with its clients and users.
func seedRealm(ctx context.Context, cfg config, api *loadgen.AdminAPI, cred map[string]any, realm string) error {
	if _, err := api.EnsureRealm(ctx, realm, cfg.alg); err != nil {
		return err
	}
	for c := range cfg.clients {
		rep := map[string]any{"clientId": fmt.Sprintf("app-%d", c), "enabled": true, "publicClient": false,
			"secret": fmt.Sprintf("%s-app-%d-secret-0123456789", realm, c), "serviceAccountsEnabled": true,
			"directAccessGrantsEnabled": true, "standardFlowEnabled": false}
		if err := api.EnsureClient(ctx, realm, rep); err != nil {
			return err
		}
	}
	if cfg.users == 0 {
		return nil
	}
	list := make([]map[string]any, cfg.users)
	for u := range list {
		name := fmt.Sprintf("user-%d", u)
		list[u] = map[string]any{"username": name, "enabled": true, "email": name + "@" + realm + ".example",
			"emailVerified": true, "firstName": "Seed", "lastName": fmt.Sprintf("User %d", u), "credentials": []any{cred}}
	}
	return api.ImportUsers(ctx, realm, "SKIP", cfg.users, list)
}

// Names of the search realms' users (users/userspg's BenchmarkSearch100k).
var (
	firstNames = strings.Fields("james mary john patricia robert jennifer michael linda william elizabeth david barbara " +
		"richard susan joseph jessica thomas sarah charles karen christopher nancy daniel lisa matthew betty anthony " +
		"margaret mark sandra donald ashley steven kimberly paul emily andrew donna joshua michelle kenneth dorothy " +
		"kevin carol brian amanda george melissa edward deborah")
	lastNames = strings.Fields("smith johnson williams brown jones garcia miller davis rodriguez martinez hernandez " +
		"lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white harris sanchez " +
		"clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill flores green adams " +
		"nelson baker hall rivera campbell mitchell carter roberts")
	departments = strings.Fields("eng ops sales support finance legal hr marketing research design")
)

// searchUser is user i of a search realm, first.lastI, deterministic,
// with cred as its credential (none when nil).
func searchUser(i int, cred map[string]any) map[string]any {
	rng := rand.New(rand.NewPCG(uint64(i), 17))
	first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
	username := fmt.Sprintf("%s.%s%d", first, last, i)
	u := map[string]any{"username": username, "enabled": rng.IntN(10) != 0,
		"email": fmt.Sprintf("%s@example%d.com", username, i%20), "emailVerified": rng.IntN(2) == 0,
		"firstName": strings.ToUpper(first[:1]) + first[1:], "lastName": strings.ToUpper(last[:1]) + last[1:],
		"attributes": map[string][]string{"dept": {departments[rng.IntN(len(departments))]},
			"employeeNumber": {fmt.Sprintf("%07d", i)}}}
	if cred != nil {
		u["credentials"] = []any{cred}
	}
	return u
}

// seedSearch makes the search realm of n users, in imports of cfg.batch
// users, cfg.workers at a time.
func seedSearch(ctx context.Context, cfg config, api *loadgen.AdminAPI, cred map[string]any, n int, stderr io.Writer) error {
	realm, batch := searchRealmName(n), cfg.batch
	if _, err := api.EnsureRealm(ctx, realm, cfg.alg); err != nil {
		return fmt.Errorf("%s: %w", realm, err)
	}
	if cfg.searchCopy {
		return copyUsers(ctx, cfg, realm, n, stderr)
	}
	var next, done atomic.Int64
	stop := progress(ctx, cfg.progress, stderr, realm+" users", int64(n), &done)
	defer stop()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	for range cfg.workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				from := int(next.Add(int64(batch)) - int64(batch))
				if from >= n {
					return
				}
				list := make([]map[string]any, 0, batch)
				for i := from; i < min(from+batch, n); i++ {
					list = append(list, searchUser(i, cred))
				}
				if err := api.ImportUsers(ctx, realm, "SKIP", batch, list); err != nil {
					cancel(fmt.Errorf("%s users %d…: %w", realm, from, err))
					return
				}
				done.Add(int64(len(list)))
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// progress prints how far done is towards total every period until stop
// is called.
func progress(ctx context.Context, period time.Duration, w io.Writer, what string, total int64, done *atomic.Int64) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	start := time.Now()
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				n, el := done.Load(), time.Since(start)
				rate := float64(n) / el.Seconds()
				eta := "?"
				if rate > 0 {
					eta = (time.Duration(float64(total-n)/rate) * time.Second).Round(time.Second).String()
				}
				fmt.Fprintf(w, "seed: %s: %d of %d in %s (%.1f/s, %s left)\n", what, n, total, el.Round(time.Second), rate, eta)
			}
		}
	}()
	return func() { cancel(); <-finished }
}
