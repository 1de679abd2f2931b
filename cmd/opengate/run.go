package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"sync/atomic"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/notify"
)

// run is the whole program: it returns when ctx ends (nil after a clean
// shutdown) or when something fails to start.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "export" || args[0] == "import") {
		return transfer(ctx, args[0], args[1:], getenv, os.Stdin, stdout, stderr)
	}
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logging.Logger(stderr)
	og := opengate.Config{
		IssuerBase:        cfg.IssuerBase,
		RelativePath:      cfg.RelativePath,
		SecretKey:         cfg.SecretKey,
		PreviousSecretKey: cfg.PreviousSecretKey,
		Instance:          cfg.Instance,
		// Per-IP lockout counts the client behind a trusted proxy, not
		// the proxy (which would lock out everyone behind it).
		TrustedProxies: cfg.Proxies,
		// The same gateway chain, with the same defaults, as cmd/gateway.
		CORSOrigins:        cfg.Origins,
		RateLimits:         &cfg.Limits,
		RateLimitSync:      cfg.LimitSync,
		Admin:              &opengate.Admin{Username: cfg.AdminUser, Password: cfg.AdminPassword},
		Logger:             log,
		RedisPrefix:        cfg.RedisPrefix,
		SeparateManagement: cfg.ManagementAddr != "",
		SMTP:               cfg.SMTP,
		LoginThemes:        cfg.Themes,
	}
	og.Options.Notify = append(og.Options.Notify, notify.WithRetry(cfg.NotifyMaxAttempts, 0, 0))
	if cfg.SMTP == nil {
		log.Warn("OPENGATE_SMTP_HOST is not set: mail of realms without smtpServer is written to this log, links included; set it in production")
	}
	// Development only: email codes go to the log in clear, in place of
	// the delivery opengate.New sets up (which never logs a code).
	if cfg.MFALogCodes {
		og.Options.MFA = append(og.Options.MFA, mfa.WithSender(mfa.LogSender{Log: log, RevealCodes: true}))
		log.Warn("OPENGATE_MFA_LOG_CODES is set: email codes are written to the log; never in production")
	}
	if cfg.MigrateOnly {
		dbs, err := opengate.OpenDatabases(ctx, cfg.PostgresURL, cfg.DBPrefix)
		if err != nil {
			return fmt.Errorf("OPENGATE_POSTGRES_URL: %w", err)
		}
		defer dbs.Close()
		if err := dbs.Migrate(ctx); err != nil {
			return err
		}
		cfg.Logging.Print(stdout, "opengate: migrations applied")
		return nil
	}

	// The listeners answer from the start — /healthz 200, /readyz and
	// every other request 503 "starting" — and serve OpenGate once it is
	// built, so that nothing waits in the accept queue during start-up.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	api, mgmtHandler := newSwap(starting()), newSwap(starting())
	served := make(chan error, 1)
	go func() { served <- iamhttp.ServeListener(ctx, ln, api) }()
	mgmt, err := boot.ServeManagement(ctx, cfg.ManagementAddr, mgmtHandler)
	if err != nil {
		cancel()
		return errors.Join(err, <-served)
	}
	prof, err := boot.ServePprof(ctx, cfg.PprofAddr)
	if err != nil {
		cancel()
		return errors.Join(err, <-served, mgmt.Wait())
	}
	if prof != nil {
		cfg.Logging.Print(stdout, fmt.Sprintf("opengate: profiles (pprof) on http://%s/debug/pprof/", prof.Addr), "addr", prof.Addr.String())
	}
	// stop ends the listeners and returns err with theirs.
	stop := func(err error) error {
		cancel()
		return errors.Join(err, <-served, mgmt.Wait(), prof.Wait())
	}
	if og.IssuerBase == "" {
		og.IssuerBase = "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port) + cfg.RelativePath
	}
	if cfg.PostgresURL != "" {
		dbs, err := opengate.OpenDatabases(ctx, cfg.PostgresURL, cfg.DBPrefix)
		if err != nil {
			return stop(fmt.Errorf("OPENGATE_POSTGRES_URL: %w", err))
		}
		defer dbs.Close()
		og.Databases = dbs
	}
	if cfg.RedisURL != "" {
		opt, err := rueidis.ParseURL(cfg.RedisURL)
		if err != nil {
			return stop(fmt.Errorf("OPENGATE_REDIS_URL: %w", err))
		}
		rc, err := rueidis.NewClient(opt)
		if err != nil {
			return stop(fmt.Errorf("connect to Redis: %w", err))
		}
		defer rc.Close()
		og.Redis = rc
	}
	if len(cfg.KafkaBrokers) > 0 {
		k, err := boot.OpenKafka(ctx, cfg.Kafka, log)
		if err != nil {
			return stop(fmt.Errorf("connect to Kafka: %w", err))
		}
		defer k.Close()
		// Cache groups start at the end of their topics: a replica's
		// caches only need what happens from now on.
		og.Publisher, og.Subscriber, og.CacheSubscriber = k.Publisher, k.Subscriber(), k.CacheSubscriber()
		og.Metrics = append(og.Metrics, k.Metrics())
	}

	srv, err := opengate.New(ctx, og)
	if errors.Is(err, opengate.ErrSecretKeyMismatch) {
		return stop(fmt.Errorf("%s (%w)", boot.MismatchMessage, err))
	}
	if err != nil {
		return stop(err)
	}
	defer srv.Close()
	if pw := srv.GeneratedAdminPassword(); pw != "" {
		cfg.Logging.Print(stdout, fmt.Sprintf("opengate: created administrator %q in realm master with password %s", cfg.AdminUser, pw),
			"username", cfg.AdminUser)
		cfg.Logging.Print(stdout, "opengate: this password is shown once; set OPENGATE_ADMIN_PASSWORD to choose it")
	}
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	api.set(srv.Handler())
	// Start-up leaves garbage the heap would keep until the next GC, which
	// an idle server never reaches (its goal is twice the live heap): most
	// of it the 19 MiB of the bootstrap administrator's argon2id hash,
	// computed at every start in memory mode. Collect it and return it to
	// the OS now, off the serving path.
	go debug.FreeOSMemory()
	mgmtHandler.set(srv.ManagementHandler())
	if mgmt != nil {
		cfg.Logging.Print(stdout, fmt.Sprintf("opengate: management on http://%s", mgmt.Addr), "addr", mgmt.Addr.String())
	}
	cfg.Logging.Print(stdout, fmt.Sprintf("opengate: listening on http://%s (issuer base %s)", ln.Addr(), og.IssuerBase),
		"addr", ln.Addr().String(), "issuerBase", og.IssuerBase)
	err = <-served // ctx ended (a graceful shutdown), or serving failed
	cancel()
	<-ran
	return errors.Join(err, mgmt.Wait(), prof.Wait())
}

// swap is an http.Handler whose handler can be replaced while it serves.
type swap struct{ h atomic.Pointer[http.Handler] }

func newSwap(h http.Handler) *swap {
	s := &swap{}
	s.set(h)
	return s
}

func (s *swap) set(h http.Handler) { s.h.Store(&h) }

func (s *swap) ServeHTTP(w http.ResponseWriter, r *http.Request) { (*s.h.Load()).ServeHTTP(w, r) }

// starting answers while OpenGate is being built: alive, not ready, and
// 503 unavailable with Retry-After for everything else.
func starting() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			iamhttp.Healthz().ServeHTTP(w, r)
		case "/readyz":
			iamhttp.JSON(w, http.StatusServiceUnavailable, iamhttp.Health{
				Status: iamhttp.HealthUnavailable, Checks: map[string]string{"startup": "starting"}})
		default:
			// Not iamhttp.Error, which logs every 5xx: clients retrying
			// during start-up would flood the log.
			w.Header().Set("Retry-After", "1")
			iamhttp.JSON(w, http.StatusServiceUnavailable, map[string]string{
				"error": string(iam.CodeUnavailable), "error_description": "OpenGate is starting; retry shortly"})
		}
	})
}
