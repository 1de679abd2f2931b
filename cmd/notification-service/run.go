package main

import (
	"cmp"
	"context"
	"io"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/notify/notifyhttp"
	"github.com/opengate-iam/opengate/notify/notifykafka"
	"github.com/opengate-iam/opengate/notify/notifypg"
	"github.com/opengate-iam/opengate/notify/notifysmtp"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// serviceName names the service in logs, metrics and consumer groups.
const serviceName = "notification-service"

// binary is notification-service's shared settings; :8086 is its port in
// docs/architecture.md.
var binary = boot.Binary{Name: serviceName, Addr: ":8086", Database: "notifications",
	Instance: "this replica's name on the deliveries its worker claims (a restart under it takes them back at once) and in its cache consumer groups"}

// config is what run reads from flags and the environment.
type config struct {
	boot.Config
	secretKey   []byte
	previous    []byte
	publicURL   string
	smtp        *notify.Server
	maxAttempts int
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	shared, err := boot.Parse(binary, args, getenv, stderr)
	if err != nil {
		return config{}, err
	}
	c := config{Config: shared, publicURL: cmp.Or(getenv("OPENGATE_PUBLIC_URL"), shared.IssuerBase)}
	if c.MigrateOnly {
		return c, nil
	}
	if err := c.RequireIssuer(" (admin calls are authorized by its tokens)"); err != nil {
		return config{}, err
	}
	if err := c.RequireRedis(" (logged-out tokens are refused by reading auth's revocation list there)"); err != nil {
		return config{}, err
	}
	if c.secretKey, err = boot.RequireSecretKey(getenv, "the action links of verification and reset events"); err != nil {
		return config{}, err
	}
	if c.previous, err = boot.PreviousSecretKey(getenv); err != nil {
		return config{}, err
	}
	if c.smtp, err = boot.SMTP(getenv); err != nil {
		return config{}, err
	}
	if c.maxAttempts, err = boot.NotifyMaxAttempts(getenv); err != nil {
		return config{}, err
	}
	if err := c.RequireKafka(); err != nil {
		return config{}, err
	}
	return c, nil
}

// run migrates, then serves the notify API and runs the consumer and the
// delivery worker until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr, serviceName)
	pool, err := cfg.OpenPostgres(ctx, notifypg.Migrate)
	if err != nil {
		return err
	}
	defer pool.Close()
	if cfg.MigrateOnly {
		cfg.Print(stdout, serviceName+": database migrated")
		return nil
	}

	// The delivery log keeps action links sealed as their events carried
	// them: the database records the deployment key like the others.
	sealer, err := boot.NewSealer(cfg.secretKey, cfg.previous)
	if err != nil {
		return err
	}
	keyCheck, err := boot.CheckSealingKey(ctx, pool, sealer)
	if err != nil {
		return err
	}
	links, err := boot.NewLinkSealer(cfg.secretKey, cfg.previous)
	if err != nil {
		return err
	}
	if cfg.ServiceToken == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: users and realms cannot be read, and the internal API refuses every call")
	}
	if cfg.smtp == nil {
		log.Warn("OPENGATE_SMTP_HOST is not set: mail of realms without smtpServer settings fails")
	}
	realmGetter := realms.NewCachedGetter(realmshttp.NewClient(cfg.Peers.Realms, cfg.ServiceToken))
	usersClient := usershttp.NewClient(cfg.Peers.Users, cfg.ServiceToken)
	opts := []notify.Option{notify.WithLinkSealer(links), notify.WithVerification(usersClient),
		notify.WithTransport(notifysmtp.New()), notify.WithPublicURL(cfg.publicURL), notify.WithLogger(log),
		notify.WithRetry(cfg.maxAttempts, 0, 0), notify.WithInstance(cfg.Instance)}
	if cfg.smtp != nil {
		opts = append(opts, notify.WithDefaultServer(*cfg.smtp))
	}
	svc, err := notify.New(notifypg.New(pool), usersClient, realmGetter, opts...)
	if err != nil {
		return err
	}

	srv := boot.NewServer(serviceName, log)
	defer srv.Close()
	var bus *boot.Kafka
	if len(cfg.Brokers) > 0 {
		if bus, err = srv.OpenKafka(ctx, cfg.Kafka, pool); err != nil {
			return err
		}
		sub := bus.Subscriber()
		group := realmskafka.CacheGroup(serviceName, cfg.Instance)
		srv.Task("notify consumer", func(ctx context.Context) error { return notifykafka.Run(ctx, sub, svc) })
		srv.Task("realm cache invalidation", func(ctx context.Context) error {
			return realmskafka.RunCacheInvalidation(ctx, bus.CacheSubscriber(), group, realmGetter)
		})
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: no event is consumed; only e-mail codes are sent")
	}
	// Sends what the consumer recorded and retries failures (replicas
	// share the work through the database).
	srv.Task("notify delivery worker", svc.Run)
	// Admin calls are checked against the caller's current state, read
	// from the peers.
	guard := srv.AdminGuard(cfg.Config, boot.Own{Realms: realmGetter}, bus)
	verifier, redisReady, err := srv.Verifier(ctx, cfg.Config)
	if err != nil {
		return err
	}
	return srv.Serve(ctx, cfg.Listen(), stdout, boot.Routes{
		Metrics:  "notify",
		Checks:   map[string]iamhttp.Check{"postgres": pool.Ping, "sealing_key": keyCheck, "redis": redisReady},
		Verifier: verifier,
		Verified: notifyhttp.NewHandler(svc, notifyhttp.WithServiceToken(cfg.ServiceToken), notifyhttp.WithAdminGuard(guard)).Mount,
	})
}
