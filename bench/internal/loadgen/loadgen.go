package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Scenarios returns the names Config.Scenario takes, in the order bench/run
// measures them:
//
//	client_credentials  POST token, grant_type=client_credentials
//	password            POST token, grant_type=password (argon2id-bound)
//	refresh             POST token, grant_type=refresh_token: each worker
//	                    keeps its own refresh token and rotates it
//	authcode            the browser flow through the hosted login form with
//	                    PKCE (authorization request, login page, form, the
//	                    302 to the redirect URI) and the code's exchange; a
//	                    fresh cookie jar each time (argon2id-bound)
//	introspect          POST token/introspect of one access token
//	userinfo            GET userinfo with one user's access token
//	usersearch          GET /admin/realms/{realm}/users?search=...&max=20
//	                    with a master administrator's token
func Scenarios() []string {
	return []string{"client_credentials", "password", "refresh", "authcode", "introspect", "userinfo", "usersearch"}
}

// Admin is an administrator of the master realm, who signs in with the
// password grant at master's admin-cli client (the Keycloak way).
type Admin struct {
	User, Password string
}

// Config is one run of one scenario.
type Config struct {
	// Base is the deployment's base URL (the all-in-one or a gateway).
	Base string
	// Realm, ClientID and Secret name the realm and its confidential
	// client (service account, direct access grants and standard flow
	// enabled, RedirectURI registered; Setup makes one).
	Realm, ClientID, Secret string
	// Username and Password are a user of Realm (password, refresh,
	// authcode, userinfo).
	Username, Password string
	// RedirectURI is the client's redirect URI (authcode): a loopback URL
	// nobody needs to listen on, the flow stops at the redirect to it.
	RedirectURI string
	// Search is usersearch's search parameter (default "user-1").
	Search string
	// Admin signs in for usersearch.
	Admin Admin
	// Scenario is one of Scenarios().
	Scenario string
	// Workers is the number of concurrent workers (1..256).
	Workers int
	// Duration bounds the run (at most 10 minutes); Requests, when
	// positive, stops it after that many requests.
	Duration time.Duration
	Requests int64
	// HTTP, when set, is the client requests go through; by default one
	// with a keep-alive connection per worker.
	HTTP *http.Client
}

// Result is what a run measured. Only successful requests have their
// latency recorded.
type Result struct {
	Scenario   string
	Workers    int
	OK, Failed int64
	Elapsed    time.Duration
	Latencies  []time.Duration // sorted
	// FirstError is the first failure's message ("" when none failed): a
	// status and path, never a token or secret.
	FirstError string
	// Unfinished counts the requests still running when the duration
	// ended (each worker usually has one), Cut holds how long each had
	// been running (a lower bound of its latency), and LongestUnfinished
	// is the longest of them.
	Unfinished        int64
	Cut               []time.Duration
	LongestUnfinished time.Duration
}

// Rate is the successful requests per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.OK) / r.Elapsed.Seconds()
}

// Percentile returns the latency below which the fraction p (0..1) of the
// successful requests fell (nearest rank), or 0 when none succeeded.
func (r Result) Percentile(p float64) time.Duration {
	if len(r.Latencies) == 0 {
		return 0
	}
	return r.Latencies[int(float64(len(r.Latencies)-1)*p)]
}

// Censored reports whether the requests cut off at the end make the p99
// unreliable: those that had already run longer than the p99 are more
// than a tenth of the slowest 1 % of the requests, whose latencies the
// p99 rests on. The percentiles then understate the slow end.
func (r Result) Censored() bool {
	p99, above := r.Percentile(0.99), 0
	for _, c := range r.Cut {
		if c > p99 {
			above++
		}
	}
	return above > 0 && float64(above) > 0.001*float64(len(r.Latencies)+len(r.Cut))
}

// String is the one-line summary bench/load prints.
func (r Result) String() string {
	s := fmt.Sprintf("%s: %d ok, %d failed in %s with %d workers: %.0f req/s; latency p50 %s p90 %s p99 %s",
		r.Scenario, r.OK, r.Failed, r.Elapsed.Round(time.Millisecond), r.Workers, r.Rate(),
		r.Percentile(0.50).Round(time.Microsecond), r.Percentile(0.90).Round(time.Microsecond),
		r.Percentile(0.99).Round(time.Microsecond))
	if r.Censored() {
		s += fmt.Sprintf("; %d unfinished at the end, one running for %s (the percentiles understate the slow end)",
			r.Unfinished, r.LongestUnfinished.Round(time.Millisecond))
	}
	return s
}

// Check reports what is wrong with cfg, before anything is sent.
func (cfg Config) Check() error {
	switch {
	case cfg.Base == "":
		return errors.New("the base URL is required")
	case cfg.ClientID == "" && cfg.Scenario != "usersearch":
		return errors.New("the client id is required")
	case cfg.Workers < 1 || cfg.Workers > 256:
		return errors.New("workers must be 1 to 256")
	case cfg.Duration <= 0 || cfg.Duration > 10*time.Minute:
		return errors.New("the duration must be positive and at most 10m")
	case cfg.Requests < 0:
		return errors.New("the request count must not be negative")
	case !slices.Contains(Scenarios(), cfg.Scenario):
		return fmt.Errorf("unknown scenario %q (one of %v)", cfg.Scenario, Scenarios())
	}
	needs := map[string][]struct{ value, what string }{
		"password":   {{cfg.Username, "a username"}, {cfg.Password, "a password"}},
		"refresh":    {{cfg.Username, "a username"}, {cfg.Password, "a password"}},
		"userinfo":   {{cfg.Username, "a username"}, {cfg.Password, "a password"}},
		"authcode":   {{cfg.Username, "a username"}, {cfg.Password, "a password"}, {cfg.RedirectURI, "a redirect URI"}},
		"usersearch": {{cfg.Admin.User, "an administrator"}, {cfg.Admin.Password, "the administrator's password"}},
	}
	for _, n := range needs[cfg.Scenario] {
		if n.value == "" {
			return fmt.Errorf("scenario %s needs %s", cfg.Scenario, n.what)
		}
	}
	return nil
}

// Run prepares cfg.Scenario (tokens fetched, each worker's state made:
// not timed) and then drives it. It fails when the preparation fails; a
// run whose requests all failed is a Result with OK 0, not an error.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Check(); err != nil {
		return Result{}, err
	}
	if cfg.HTTP == nil {
		cfg.HTTP = NewHTTPClient(cfg.Workers)
	}
	newWorker, err := prepare(ctx, cfg)
	if err != nil {
		return Result{}, fmt.Errorf("%s: %w", cfg.Scenario, err)
	}
	ops := make([]op, cfg.Workers)
	var wg sync.WaitGroup
	errs := make([]error, cfg.Workers)
	for w := range ops {
		wg.Go(func() { ops[w], errs[w] = newWorker(ctx) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Result{}, fmt.Errorf("%s: preparing the workers: %w", cfg.Scenario, err)
	}
	res := drive(ctx, cfg, ops)
	res.Scenario = cfg.Scenario
	return res, nil
}

// NewHTTPClient returns a client keeping up to conns connections alive
// per host, that never follows redirects (the scenarios look at them).
func NewHTTPClient(conns int) *http.Client {
	return &http.Client{
		Timeout:       30 * time.Second,
		Transport:     &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// op is one timed request (or exchange of requests) of one worker.
type op func(context.Context) error

// drive runs each worker's op until the duration or request budget is
// spent.
func drive(ctx context.Context, cfg Config, ops []op) Result {
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	var ok, failed, issued, unfinished atomic.Int64
	var firstErr atomic.Pointer[string]
	lat := make([][]time.Duration, len(ops))
	cut := make([]time.Duration, len(ops)) // how long each worker's cut-off request ran (0: none)
	var wg sync.WaitGroup
	start := time.Now()
	for w, do := range ops {
		wg.Go(func() {
			for ctx.Err() == nil {
				if cfg.Requests > 0 && issued.Add(1) > cfg.Requests {
					return
				}
				t := time.Now()
				if err := do(ctx); err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
						msg := err.Error()
						firstErr.CompareAndSwap(nil, &msg)
					} else {
						unfinished.Add(1)
						cut[w] = max(cut[w], time.Since(t))
					}
					continue
				}
				lat[w] = append(lat[w], time.Since(t))
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	res := Result{Workers: len(ops), OK: ok.Load(), Failed: failed.Load(), Elapsed: time.Since(start),
		Unfinished: unfinished.Load(), LongestUnfinished: slices.Max(cut)}
	for _, c := range cut {
		if c > 0 {
			res.Cut = append(res.Cut, c)
		}
	}
	if p := firstErr.Load(); p != nil {
		res.FirstError = *p
	}
	for _, l := range lat {
		res.Latencies = append(res.Latencies, l...)
	}
	slices.Sort(res.Latencies)
	return res
}
