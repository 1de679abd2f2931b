// Command load drives an OpenGate deployment with a fixed number of
// concurrent workers for a bounded time (or request count) and reports
// throughput and latency percentiles. It only ever talks to the base URL it
// is given; point it at a server you run (loopback in this repository's
// benchmarks).
//
//	go run ./bench/load -base http://127.0.0.1:8080 -realm acme \
//	  -client svc -secret ... -scenario client_credentials -c 8 -d 10s
//
// Scenarios:
//
//	client_credentials   POST token, grant_type=client_credentials
//	introspect           POST token/introspect of one access token
//	userinfo             GET userinfo with one access token (needs -username)
//	password             POST token, grant_type=password (argon2id-bound)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

type config struct {
	base, realm, client, secret, username, password, scenario string
	workers                                                   int
	duration                                                  time.Duration
	requests                                                  int64
}

func parse(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.base, "base", "http://127.0.0.1:8080", "OpenGate base URL")
	fs.StringVar(&c.realm, "realm", "master", "realm")
	fs.StringVar(&c.client, "client", "", "client id")
	fs.StringVar(&c.secret, "secret", "", "client secret (confidential clients)")
	fs.StringVar(&c.username, "username", "", "user for password and userinfo")
	fs.StringVar(&c.password, "password", "", "password of -username")
	fs.StringVar(&c.scenario, "scenario", "client_credentials", "client_credentials, introspect, userinfo or password")
	fs.IntVar(&c.workers, "c", 4, "concurrent workers (1..256)")
	fs.DurationVar(&c.duration, "d", 10*time.Second, "duration (at most 10m)")
	fs.Int64Var(&c.requests, "n", 0, "stop after this many requests (0: duration only)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	switch {
	case c.client == "":
		return config{}, errors.New("-client is required")
	case c.workers < 1 || c.workers > 256:
		return config{}, errors.New("-c must be 1 to 256")
	case c.duration <= 0 || c.duration > 10*time.Minute:
		return config{}, errors.New("-d must be positive and at most 10m")
	}
	return c, nil
}

// result is what a run measured.
type result struct {
	ok, failed int64
	elapsed    time.Duration
	latencies  []time.Duration // sorted
}

func (r result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[int(float64(len(r.latencies)-1)*p)]
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parse(args, stderr)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: cfg.workers, MaxConnsPerHost: cfg.workers,
	}}
	do, err := scenario(ctx, cfg, client)
	if err != nil {
		return err
	}
	res := drive(ctx, cfg, do)
	fmt.Fprintf(stdout, "%s: %d ok, %d failed in %s with %d workers: %.0f req/s; latency p50 %s p90 %s p99 %s\n",
		cfg.scenario, res.ok, res.failed, res.elapsed.Round(time.Millisecond), cfg.workers,
		float64(res.ok)/res.elapsed.Seconds(),
		res.percentile(0.50).Round(time.Microsecond), res.percentile(0.90).Round(time.Microsecond),
		res.percentile(0.99).Round(time.Microsecond))
	if res.ok == 0 {
		return errors.New("no request succeeded")
	}
	return nil
}

// drive runs do from cfg.workers goroutines until the duration or request
// budget is spent.
func drive(ctx context.Context, cfg config, do func(context.Context) error) result {
	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var ok, failed, issued atomic.Int64
	lat := make([][]time.Duration, cfg.workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range cfg.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if cfg.requests > 0 && issued.Add(1) > cfg.requests {
					return
				}
				t := time.Now()
				if err := do(ctx); err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				lat[w] = append(lat[w], time.Since(t))
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	res := result{ok: ok.Load(), failed: failed.Load(), elapsed: time.Since(start)}
	for _, l := range lat {
		res.latencies = append(res.latencies, l...)
	}
	slices.Sort(res.latencies)
	return res
}

// scenario returns one request of cfg.scenario, prepared (a token fetched
// once where the scenario needs one).
func scenario(ctx context.Context, cfg config, client *http.Client) (func(context.Context) error, error) {
	oidc := strings.TrimRight(cfg.base, "/") + "/realms/" + url.PathEscape(cfg.realm) + "/protocol/openid-connect"
	form := func(extra url.Values) url.Values {
		v := url.Values{"client_id": {cfg.client}}
		if cfg.secret != "" {
			v.Set("client_secret", cfg.secret)
		}
		for k, vs := range extra {
			v[k] = vs
		}
		return v
	}
	post := func(ctx context.Context, endpoint string, v url.Values) (string, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, oidc+endpoint, strings.NewReader(v.Encode()))
		if err != nil {
			return "", err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return send(client, req)
	}
	ccForm := form(url.Values{"grant_type": {"client_credentials"}})
	pwForm := form(url.Values{"grant_type": {"password"}, "username": {cfg.username}, "password": {cfg.password}, "scope": {"openid"}})
	switch cfg.scenario {
	case "client_credentials":
		return func(ctx context.Context) error { _, err := post(ctx, "/token", ccForm); return err }, nil
	case "password":
		return func(ctx context.Context) error { _, err := post(ctx, "/token", pwForm); return err }, nil
	case "introspect":
		tok, err := accessToken(post(ctx, "/token", ccForm))
		if err != nil {
			return nil, err
		}
		v := form(url.Values{"token": {tok}})
		return func(ctx context.Context) error {
			body, err := post(ctx, "/token/introspect", v)
			if err == nil && !strings.Contains(body, `"active":true`) {
				err = errors.New("token not active")
			}
			return err
		}, nil
	case "userinfo":
		tok, err := accessToken(post(ctx, "/token", pwForm))
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, oidc+"/userinfo", nil)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			_, err = send(client, req)
			return err
		}, nil
	}
	return nil, fmt.Errorf("unknown scenario %q", cfg.scenario)
}

func send(client *http.Client, req *http.Request) (string, error) {
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("%s: %d", req.URL.Path, resp.StatusCode)
	}
	return string(body), nil
}

func accessToken(body string, err error) (string, error) {
	if err != nil {
		return "", err
	}
	var t struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(body), &t); err != nil || t.AccessToken == "" {
		return "", errors.New("no access_token in the token response")
	}
	return t.AccessToken, nil
}
