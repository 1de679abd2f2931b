package main

import (
	"context"
	"io"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionhttp"
	"github.com/opengate-iam/opengate/session/sessionkafka"
	"github.com/opengate-iam/opengate/session/sessionredis"
)

// serviceName names the service in logs, metrics and consumer groups.
const serviceName = "session-service"

// binary is session-service's shared settings; :8087 is its port in
// docs/architecture.md. It has no database.
var binary = boot.Binary{Name: serviceName, Addr: ":8087", Instance: "this replica's name in its cache consumer groups",
	NoDatabase: true}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (boot.Config, error) {
	c, err := boot.Parse(binary, args, getenv, stderr)
	if err != nil {
		return boot.Config{}, err
	}
	if err := c.RequireRedis(" (sessions live in Redis)"); err != nil {
		return boot.Config{}, err
	}
	if err := c.RequireIssuer(" (admin and account calls are authorized by its tokens)"); err != nil {
		return boot.Config{}, err
	}
	if err := c.RequireKafka(); err != nil {
		return boot.Config{}, err
	}
	return c, nil
}

// run serves the API and runs the consumer and the event relay until ctx
// ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr, serviceName)
	rdb, err := boot.OpenRedis(cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()

	srv := boot.NewServer(serviceName, log)
	defer srv.Close()
	realmGetter := realms.NewCachedGetter(realmshttp.NewClient(cfg.Peers.Realms, cfg.ServiceToken))
	opts := []session.Option{session.WithLogger(log)}
	var bus *boot.Kafka
	if len(cfg.Brokers) > 0 {
		if bus, err = srv.OpenKafka(ctx, cfg.Kafka, nil); err != nil {
			return err
		}
		opts = append(opts, session.WithPublisher(bus.Publisher))
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: no session is created from logins, and session.terminated events stay pending in Redis")
	}
	svc := session.New(sessionredis.New(rdb, sessionredis.WithPrefix(cfg.RedisPrefix)), realmGetter, opts...)
	if bus != nil {
		sub, cacheSub := bus.Subscriber(), bus.CacheSubscriber()
		srv.Task("session consumer", func(ctx context.Context) error { return sessionkafka.Run(ctx, sub, svc) })
		srv.Task("session event relay", svc.Run)
		srv.Task("realm cache invalidation", func(ctx context.Context) error {
			return realmskafka.RunCacheInvalidation(ctx, cacheSub, realmskafka.CacheGroup(serviceName, cfg.Instance), realmGetter)
		})
	}
	if cfg.ServiceToken == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: the internal API refuses every call, and the realms service refuses ours")
	}
	// Admin calls are checked against the caller's current state, read from
	// the peers.
	guard := srv.AdminGuard(cfg, boot.Own{Realms: realmGetter}, bus)
	// The verifier reads auth's revocation list from the same Redis, on a
	// connection of its own.
	verifier, _, err := srv.Verifier(ctx, cfg)
	if err != nil {
		return err
	}
	return srv.Serve(ctx, cfg.Listen(), stdout, boot.Routes{
		Metrics:  "session",
		Checks:   map[string]iamhttp.Check{"redis": boot.RedisCheck(rdb)},
		Verifier: verifier,
		Verified: sessionhttp.NewHandler(svc, sessionhttp.WithServiceToken(cfg.ServiceToken), sessionhttp.WithAdminGuard(guard)).Mount,
	})
}
