package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientskafka"
	"github.com/opengate-iam/opengate/clients/clientspg"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/realms/realmshttp"
)

// serviceName names the service in logs, metrics and consumer groups.
const serviceName = "client-service"

// binary is client-service's shared settings; :8085 is its port in
// docs/architecture.md.
var binary = boot.Binary{Name: serviceName, Addr: ":8085", Database: "clients", Instance: "this replica's name in its cache consumer group"}

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
	if c.secretKey, err = boot.RequireSecretKey(getenv, "client secrets"); err != nil {
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

// run migrates, ensures master's admin-cli, then serves the API and runs the
// outbox relay and the consumers until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr, serviceName)
	pool, err := cfg.OpenPostgres(ctx, clientspg.Migrate)
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
	store, err := clientspg.New(pool, sealer)
	if err != nil {
		return err
	}
	// Nobody reads or changes the client of a service account holding admin
	// roles they do not hold themselves: both sides' roles are read from
	// rbac-service at each call (uncached: a role granted a moment ago must
	// count).
	svc := clients.New(store, clients.WithRoles(rbachttp.NewClient(cfg.Peers.RBAC, cfg.ServiceToken)))
	if err := svc.EnsureDefaults(ctx, iam.MasterRealm); err != nil {
		return fmt.Errorf("create master's default clients: %w", err)
	}

	srv := boot.NewServer(serviceName, log)
	defer srv.Close()
	// Realms made by an older version get the default clients they lack
	// (realm-management, whose roles rbac-service then makes).
	srv.Task("default clients of existing realms", defaultClients(svc, realmshttp.NewClient(cfg.Peers.Realms, cfg.ServiceToken), log))
	var bus *boot.Kafka
	if len(cfg.Brokers) > 0 {
		if bus, err = srv.OpenKafka(ctx, cfg.Kafka, pool); err != nil {
			return err
		}
		sub := bus.Subscriber()
		group := clientskafka.CacheGroup(serviceName, cfg.Instance)
		srv.Task("clients consumer", func(ctx context.Context) error { return clientskafka.Run(ctx, sub, svc) })
		srv.Task("client cache invalidation", func(ctx context.Context) error {
			return clientskafka.RunCacheInvalidation(ctx, bus.CacheSubscriber(), group, svc)
		})
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: events stay in the outbox, none are consumed; run a single replica")
	}
	if cfg.ServiceToken == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: the internal API refuses every call")
	}
	// Admin calls are checked against the caller's current state: a
	// service account's client here, the rest at the peers.
	guard := srv.AdminGuard(cfg.Config, boot.Own{Clients: svc}, bus)
	verifier, redisReady, err := srv.Verifier(ctx, cfg.Config)
	if err != nil {
		return err
	}
	// The admin and internal API sit behind token verification.
	return srv.Serve(ctx, cfg.Listen(), stdout, boot.Routes{
		Metrics:  "clients",
		Checks:   map[string]iamhttp.Check{"postgres": pool.Ping, "sealing_key": keyCheck, "redis": redisReady},
		Verifier: verifier,
		Verified: clientshttp.NewHandler(svc, clientshttp.WithServiceToken(cfg.ServiceToken), clientshttp.WithAdminGuard(guard)).Mount,
	})
}

// realmNames lists every realm: realmshttp.Client.Names.
type realmNames interface {
	Names(ctx context.Context) ([]iam.Realm, error)
}

// defaultClients returns the task that gives every realm the default
// clients it lacks, then is done. It waits for realm-service by itself,
// retrying every few seconds (logged), so that client-service's readiness
// does not depend on it.
func defaultClients(svc *clients.Service, realms realmNames, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		wait := time.Second
		for {
			names, err := realms.Names(ctx)
			if err == nil {
				if err = svc.EnsureDefaultsIn(ctx, names); err == nil {
					return nil
				}
			}
			if ctx.Err() != nil {
				return nil
			}
			log.WarnContext(ctx, "the default clients of existing realms are not ensured yet", "error", err.Error(), "retry_in", wait.String())
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
			wait = min(2*wait, 30*time.Second)
		}
	}
}
