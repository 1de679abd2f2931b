package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/notify"
)

// run is the whole program: it returns when ctx ends (nil after a clean
// shutdown) or when something fails to start.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logging.Logger(stderr)
	og := opengate.Config{
		IssuerBase:        cfg.IssuerBase,
		SecretKey:         cfg.SecretKey,
		PreviousSecretKey: cfg.PreviousSecretKey,
		Instance:          cfg.Instance,
		// Per-IP lockout counts the client behind a trusted proxy, not
		// the proxy (which would lock out everyone behind it).
		TrustedProxies: cfg.Proxies,
		// The same gateway chain, with the same defaults, as cmd/gateway.
		CORSOrigins:        cfg.Origins,
		RateLimits:         &cfg.Limits,
		Admin:              &opengate.Admin{Username: cfg.AdminUser, Password: cfg.AdminPassword},
		Logger:             log,
		RedisPrefix:        cfg.RedisPrefix,
		SeparateManagement: cfg.ManagementAddr != "",
		SMTP:               cfg.SMTP,
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
	if cfg.PostgresURL != "" {
		dbs, err := opengate.OpenDatabases(ctx, cfg.PostgresURL, cfg.DBPrefix)
		if err != nil {
			return fmt.Errorf("OPENGATE_POSTGRES_URL: %w", err)
		}
		defer dbs.Close()
		if cfg.MigrateOnly {
			if err := dbs.Migrate(ctx); err != nil {
				return err
			}
			cfg.Logging.Print(stdout, "opengate: migrations applied")
			return nil
		}
		og.Databases = dbs
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	if og.IssuerBase == "" {
		og.IssuerBase = "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	}
	if cfg.RedisURL != "" {
		opt, err := rueidis.ParseURL(cfg.RedisURL)
		if err != nil {
			return fmt.Errorf("OPENGATE_REDIS_URL: %w", err)
		}
		rc, err := rueidis.NewClient(opt)
		if err != nil {
			return fmt.Errorf("connect to Redis: %w", err)
		}
		defer rc.Close()
		og.Redis = rc
	}
	if len(cfg.KafkaBrokers) > 0 {
		k, err := boot.OpenKafka(ctx, cfg.Kafka, log)
		if err != nil {
			return fmt.Errorf("connect to Kafka: %w", err)
		}
		defer k.Close()
		// Cache groups start at the end of their topics: a replica's
		// caches only need what happens from now on.
		og.Publisher, og.Subscriber, og.CacheSubscriber = k.Publisher, k.Subscriber(), k.CacheSubscriber()
	}

	srv, err := opengate.New(ctx, og)
	if errors.Is(err, opengate.ErrSecretKeyMismatch) {
		return fmt.Errorf("%s (%w)", boot.MismatchMessage, err)
	}
	if err != nil {
		return err
	}
	defer srv.Close()
	if pw := srv.GeneratedAdminPassword(); pw != "" {
		cfg.Logging.Print(stdout, fmt.Sprintf("opengate: created administrator %q in realm master with password %s", cfg.AdminUser, pw),
			"username", cfg.AdminUser)
		cfg.Logging.Print(stdout, "opengate: this password is shown once; set OPENGATE_ADMIN_PASSWORD to choose it")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- srv.Run(ctx) }()
	mgmt, err := boot.ServeManagement(ctx, cfg.ManagementAddr, srv.ManagementHandler())
	if err != nil {
		cancel()
		<-ran
		return err
	}
	if mgmt != nil {
		cfg.Logging.Print(stdout, fmt.Sprintf("opengate: management on http://%s", mgmt.Addr), "addr", mgmt.Addr.String())
	}
	cfg.Logging.Print(stdout, fmt.Sprintf("opengate: listening on http://%s (issuer base %s)", ln.Addr(), og.IssuerBase),
		"addr", ln.Addr().String(), "issuerBase", og.IssuerBase)
	err = iamhttp.ServeListener(ctx, ln, srv.Handler())
	cancel()
	<-ran
	return errors.Join(err, mgmt.Wait())
}
