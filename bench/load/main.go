// Command load drives an OpenGate deployment with a fixed number of
// concurrent workers for a bounded time (or request count) and reports
// throughput and latency percentiles. It only ever talks to the base URL it
// is given; point it at a server you run (loopback in this repository's
// benchmarks).
//
// Prepare the deployment once (a realm, a confidential client, users,
// through the admin API as master's administrator), then load it:
//
//	OPENGATE_ADMIN_PASSWORD=... go run ./bench/load -setup -base http://127.0.0.1:8080 \
//	  -realm bench -alg ES256 -client svc -secret ... -password ... -users 100
//	OPENGATE_ADMIN_PASSWORD=... go run ./bench/load -base http://127.0.0.1:8080 -realm bench \
//	  -client svc -secret ... -username user-0 -password ... -scenario refresh -c 8 -d 10s
//
// Scenarios (package bench/internal/loadgen): client_credentials, password,
// refresh, authcode, introspect, userinfo, usersearch.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/bench/internal/loadgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// DefaultRedirectURI is the client's redirect URI: a loopback address the
// authcode scenario never connects to (it stops at the redirect).
const DefaultRedirectURI = "http://127.0.0.1:9/callback"

type config struct {
	load  loadgen.Config
	setup *loadgen.Setup // -setup: prepare instead of load
}

func parse(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c loadgen.Config
	var setup bool
	var alg, prefix string
	var users int
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.Base, "base", "http://127.0.0.1:8080", "OpenGate base URL")
	fs.StringVar(&c.Realm, "realm", "master", "realm")
	fs.StringVar(&c.ClientID, "client", "", "client id")
	fs.StringVar(&c.Secret, "secret", "", "client secret (confidential clients)")
	fs.StringVar(&c.Username, "username", "", "user for password, refresh, authcode and userinfo")
	fs.StringVar(&c.Password, "password", "", "password of -username (with -setup: of every user)")
	fs.StringVar(&c.RedirectURI, "redirect-uri", DefaultRedirectURI, "the client's redirect URI (authcode)")
	fs.StringVar(&c.Search, "search", "user-1", "usersearch's search parameter")
	fs.StringVar(&c.Admin.User, "admin-user", "admin", "master administrator (usersearch, -setup); its password is OPENGATE_ADMIN_PASSWORD")
	fs.StringVar(&c.Scenario, "scenario", "client_credentials", strings.Join(loadgen.Scenarios(), ", "))
	fs.IntVar(&c.Workers, "c", 4, "concurrent workers (1..256)")
	fs.DurationVar(&c.Duration, "d", 10*time.Second, "duration (at most 10m)")
	fs.Int64Var(&c.Requests, "n", 0, "stop after this many requests (0: duration only)")
	fs.BoolVar(&setup, "setup", false, "create or update the realm, client and users instead of loading")
	fs.StringVar(&alg, "alg", "ES256", "-setup: the realm's signing algorithm: "+strings.Join(loadgen.Algorithms(), ", "))
	fs.IntVar(&users, "users", 100, "-setup: how many users (named -user-prefix0, 1, ...)")
	fs.StringVar(&prefix, "user-prefix", "user-", "-setup: the users' name prefix")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	c.Admin.Password = getenv("OPENGATE_ADMIN_PASSWORD")
	if setup {
		return config{setup: &loadgen.Setup{Base: c.Base, Admin: c.Admin, Realm: c.Realm, Algorithm: alg,
			ClientID: c.ClientID, Secret: c.Secret, RedirectURI: c.RedirectURI,
			Users: users, UserPrefix: cmp.Or(prefix, "user-"), Password: c.Password}}, nil
	}
	if err := c.Check(); err != nil {
		return config{}, err
	}
	return config{load: c}, nil
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parse(args, getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.setup != nil {
		if err := cfg.setup.Run(ctx); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "realm %s (%s): client %s, %d users %s … %s\n", cfg.setup.Realm, cfg.setup.Algorithm,
			cfg.setup.ClientID, cfg.setup.Users, cfg.setup.Username(0), cfg.setup.Username(max(0, cfg.setup.Users-1)))
		return nil
	}
	res, err := loadgen.Run(ctx, cfg.load)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, res)
	if res.Failed > 0 {
		fmt.Fprintf(stderr, "first failure: %s\n", res.FirstError)
	}
	if res.OK == 0 {
		return errors.New("no request succeeded")
	}
	return nil
}
