package main

import (
	"context"
	"io"
	"log/slog"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/mfa/mfahttp"
	"github.com/opengate-iam/opengate/mfa/mfakafka"
	"github.com/opengate-iam/opengate/mfa/mfapg"
	"github.com/opengate-iam/opengate/mfa/mfaredis"
	"github.com/opengate-iam/opengate/notify/notifyhttp"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// serviceName names the service in logs, metrics and consumer groups.
const serviceName = "mfa-service"

// binary is mfa-service's shared settings; :8088 is its port in
// docs/architecture.md.
var binary = boot.Binary{Name: serviceName, Addr: ":8088", Database: "mfa", Instance: "this replica's name in its cache consumer groups"}

// config is what run reads from flags and the environment.
type config struct {
	boot.Config
	secretKey []byte
	previous  []byte // OPENGATE_SECRET_KEY_PREVIOUS: nil unless rotating keys
	logCodes  bool   // OPENGATE_MFA_LOG_CODES: development only
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	shared, err := boot.Parse(binary, args, getenv, stderr)
	if err != nil {
		return config{}, err
	}
	c := config{Config: shared}
	if c.MigrateOnly {
		return c, nil
	}
	if err := c.RequireIssuer(" (account and admin calls are authorized by its tokens)"); err != nil {
		return config{}, err
	}
	if err := c.RequireRedis(" (used codes, email codes and lockouts are shared there by every replica)"); err != nil {
		return config{}, err
	}
	if c.secretKey, err = boot.RequireSecretKey(getenv, "TOTP secrets"); err != nil {
		return config{}, err
	}
	if c.previous, err = boot.PreviousSecretKey(getenv); err != nil {
		return config{}, err
	}
	if c.logCodes, err = boot.MFALogCodes(getenv); err != nil {
		return config{}, err
	}
	if err := c.RequireKafka(); err != nil {
		return config{}, err
	}
	return c, nil
}

// run migrates, then serves the API and runs the outbox relay and the
// consumers until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr, serviceName)
	pool, err := cfg.OpenPostgres(ctx, mfapg.Migrate)
	if err != nil {
		return err
	}
	defer pool.Close()
	if cfg.MigrateOnly {
		cfg.Print(stdout, serviceName+": database migrated")
		return nil
	}
	sealer, err := boot.NewSealer(cfg.secretKey, cfg.previous)
	if err != nil {
		return err
	}
	keyCheck, err := boot.CheckSealingKey(ctx, pool, sealer)
	if err != nil {
		return err
	}
	store, err := mfapg.New(pool, sealer)
	if err != nil {
		return err
	}
	rdb, err := boot.OpenRedis(cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	if cfg.logCodes {
		log.Warn("OPENGATE_MFA_LOG_CODES is set: email codes are written to the log; never in production")
	}
	realmGetter := realms.NewCachedGetter(realmshttp.NewClient(cfg.Peers.Realms, cfg.ServiceToken))
	svc := mfa.New(store, mfaredis.New(rdb, mfaredis.WithPrefix(cfg.RedisPrefix)), realmGetter,
		mfa.WithPublisher(mfapg.NewOutbox(pool)), mfa.WithLogger(log),
		mfa.WithSender(sender(cfg, log)),
		mfa.WithRequiredActions(usershttp.NewClient(cfg.Peers.Users, cfg.ServiceToken)))

	srv := boot.NewServer(serviceName, log)
	defer srv.Close()
	var bus *boot.Kafka
	if len(cfg.Brokers) > 0 {
		if bus, err = srv.OpenKafka(ctx, cfg.Kafka, pool); err != nil {
			return err
		}
		sub := bus.Subscriber()
		srv.Task("mfa consumer", func(ctx context.Context) error { return mfakafka.Run(ctx, sub, svc) })
		srv.Task("realm cache invalidation", func(ctx context.Context) error {
			return realmskafka.RunCacheInvalidation(ctx, bus.CacheSubscriber(), realmskafka.CacheGroup(serviceName, cfg.Instance), realmGetter)
		})
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: mfa.otp_sent stays in the outbox, deleted users keep their factors; run a single replica")
	}
	if cfg.ServiceToken == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: the internal API refuses every call and realm settings cannot be read")
	}
	// Admin calls are checked against the caller's current state, at the
	// peers.
	guard := srv.AdminGuard(cfg.Config, boot.Own{Realms: realmGetter}, bus)
	verifier, redisReady, err := srv.Verifier(ctx, cfg.Config)
	if err != nil {
		return err
	}
	return srv.Serve(ctx, cfg.Listen(), stdout, boot.Routes{
		Metrics:  "mfa",
		Checks:   map[string]iamhttp.Check{"postgres": pool.Ping, "sealing_key": keyCheck, "redis": redisReady},
		Verifier: verifier,
		Verified: mfahttp.NewHandler(svc, mfahttp.WithServiceToken(cfg.ServiceToken), mfahttp.WithAdminGuard(guard)).Mount,
	})
}

// sender delivers email codes through notification-service's internal API
// (OPENGATE_NOTIFY_URL), or, with OPENGATE_MFA_LOG_CODES for local
// development, to the log in clear.
func sender(cfg config, log *slog.Logger) mfa.Sender {
	if cfg.logCodes {
		return mfa.LogSender{Log: log, RevealCodes: true}
	}
	return notifyhttp.NewClient(cfg.Peers.Notify, cfg.ServiceToken)
}
