package main

import (
	"cmp"
	"context"
	"fmt"
	"io"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbackafka"
	"github.com/opengate-iam/opengate/rbac/rbacpg"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// binary is rbac-service's shared settings; :8084 is its port in
// docs/architecture.md.
var binary = boot.Binary{Name: "rbac-service", Addr: ":8084", Database: "rbac", Instance: "this replica's name in its role-cache consumer group"}

// serviceName names the service in logs and metrics.
const serviceName = "rbac"

// config is what run reads from flags and the environment.
type config struct {
	boot.Config
	adminUser string
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	shared, err := boot.Parse(binary, args, getenv, stderr)
	if err != nil {
		return config{}, err
	}
	if !shared.MigrateOnly {
		if err := shared.RequireIssuer(" (admin calls are authorized by its tokens)"); err != nil {
			return config{}, err
		}
		if err := shared.RequireRedis(" (logged-out tokens are refused by reading auth's revocation list there)"); err != nil {
			return config{}, err
		}
		if err := shared.RequireKafka(); err != nil {
			return config{}, err
		}
	}
	// The same default as user-service's, which creates the user whose
	// user.created event this service answers with the admin role.
	return config{Config: shared, adminUser: cmp.Or(getenv("OPENGATE_ADMIN_USER"), "admin")}, nil
}

// run migrates, then serves the rbac admin API and runs the outbox relay and
// the consumers until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr, serviceName)
	pool, err := cfg.OpenPostgres(ctx, rbacpg.Migrate)
	if err != nil {
		return err
	}
	defer pool.Close()
	if cfg.MigrateOnly {
		cfg.Print(stdout, binary.Name+": database migrated")
		return nil
	}

	svc := rbac.New(rbacpg.New(pool), rbac.WithBootstrapAdmin(cfg.adminUser), rbac.WithEffectiveRolesCache(0, 0))
	// master's roles exist from the first start, as the realm does in
	// realm-service: the bootstrap administrator is given admin.
	if err := svc.EnsureRealmDefaults(ctx, iam.MasterRealm); err != nil {
		return fmt.Errorf("create master's roles: %w", err)
	}

	srv := boot.NewServer(binary.Name, log)
	defer srv.Close()
	var bus *boot.Kafka
	if len(cfg.Brokers) > 0 {
		if bus, err = srv.OpenKafka(ctx, cfg.Kafka, pool); err != nil {
			return err
		}
		sub := bus.Subscriber()
		srv.Task("rbac consumer", func(ctx context.Context) error { return rbackafka.Run(ctx, sub, svc) })
		// Other replicas' changes reach this replica's effective-roles cache.
		srv.Task("role cache invalidation", func(ctx context.Context) error {
			return rbackafka.RunCacheInvalidation(ctx, bus.CacheSubscriber(), rbackafka.CacheGroup(binary.Name, cfg.Instance), svc)
		})
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: events stay in the outbox and no events are consumed")
	}
	if cfg.ServiceToken == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: the internal API refuses every call")
	}
	// Admin calls are checked against the caller's current state: its roles
	// here, the rest at the peers.
	guard := srv.AdminGuard(cfg.Config, boot.Own{Roles: svc}, bus)
	verifier, redisReady, err := srv.Verifier(ctx, cfg.Config)
	if err != nil {
		return err
	}
	// The admin and internal API sit behind token verification.
	return srv.Serve(ctx, cfg.Listen(), stdout, boot.Routes{
		Metrics:  serviceName,
		Checks:   map[string]iamhttp.Check{"postgres": pool.Ping, "redis": redisReady},
		Verifier: verifier,
		// The users of a role are read from user-service.
		Verified: rbachttp.NewHandler(svc, rbachttp.WithServiceToken(cfg.ServiceToken), rbachttp.WithAdminGuard(guard),
			rbachttp.WithUsers(usershttp.NewClient(cfg.Peers.Users, cfg.ServiceToken))).Mount,
	})
}
