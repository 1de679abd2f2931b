package main

import (
	"context"
	"fmt"
	"io"

	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/realms/realmspg"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// serviceName names the service in logs, metrics and consumer groups.
const serviceName = "realm-service"

// binary is realm-service's shared settings; :8083 is its port in
// docs/architecture.md.
var binary = boot.Binary{Name: serviceName, Addr: ":8083", Database: "realms", Instance: "this replica's name in its cache consumer group"}

// config is what run reads from flags and the environment.
type config struct {
	boot.Config
	secretKey []byte
	previous  []byte // OPENGATE_SECRET_KEY_PREVIOUS: nil unless rotating keys
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
	if err := c.RequireIssuer(" (admin calls are authorized by its tokens)"); err != nil {
		return config{}, err
	}
	if err := c.RequireRedis(" (logged-out tokens are refused by reading auth's revocation list there)"); err != nil {
		return config{}, err
	}
	if c.secretKey, err = boot.RequireSecretKey(getenv, "realms' SMTP passwords"); err != nil {
		return config{}, err
	}
	if c.previous, err = boot.PreviousSecretKey(getenv); err != nil {
		return config{}, err
	}
	if err := c.RequireKafka(); err != nil {
		return config{}, err
	}
	return c, nil
}

// run migrates, makes sure the master realm exists, then serves the API and
// runs the outbox relay and the cache consumer until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr, serviceName)
	pool, err := cfg.OpenPostgres(ctx, realmspg.Migrate)
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
	store, err := realmspg.New(pool, sealer)
	if err != nil {
		return err
	}
	svc := realms.New(store)
	if _, err := svc.EnsureMaster(ctx); err != nil {
		return fmt.Errorf("create the master realm: %w", err)
	}

	srv := boot.NewServer(serviceName, log)
	defer srv.Close()
	var bus *boot.Kafka
	if len(cfg.Brokers) > 0 {
		if bus, err = srv.OpenKafka(ctx, cfg.Kafka, pool); err != nil {
			return err
		}
		group := realmskafka.CacheGroup(serviceName, cfg.Instance)
		srv.Task("realm cache invalidation", func(ctx context.Context) error {
			return realmskafka.RunCacheInvalidation(ctx, bus.CacheSubscriber(), group, svc)
		})
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: events stay in the outbox; run a single replica")
	}
	if cfg.ServiceToken == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: the internal API refuses every call")
	}
	// Admin calls are checked against the caller's current state: its
	// realm here, its user and roles at the peers.
	guard := srv.AdminGuard(cfg.Config, boot.Own{Realms: svc}, bus)
	verifier, redisReady, err := srv.Verifier(ctx, cfg.Config)
	if err != nil {
		return err
	}
	// Realm imports and exports go through the other services' internal
	// import and export routes, for the caller whose token they forward.
	transfer := realmshttp.NewTransfer(svc, usershttp.NewClient(cfg.Peers.Users, cfg.ServiceToken),
		clientshttp.NewClient(cfg.Peers.Clients, cfg.ServiceToken), rbachttp.NewClient(cfg.Peers.RBAC, cfg.ServiceToken), log)
	// The admin and internal API sit behind token verification.
	return srv.Serve(ctx, cfg.Listen(), stdout, boot.Routes{
		Metrics:  "realms",
		Checks:   map[string]iamhttp.Check{"postgres": pool.Ping, "sealing_key": keyCheck, "redis": redisReady},
		Verifier: verifier,
		Verified: realmshttp.NewHandler(svc, realmshttp.WithServiceToken(cfg.ServiceToken), realmshttp.WithAdminGuard(guard),
			realmshttp.WithTransfer(transfer)).Mount,
	})
}
