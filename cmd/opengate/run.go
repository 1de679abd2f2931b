package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authkafka"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientskafka"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbackafka"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/userskafka"
)

// run is the whole program: it returns when ctx ends (nil after a clean
// shutdown) or when something fails to start.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogFormat, stderr)

	var ln net.Listener
	if !cfg.MigrateOnly {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return err
		}
		defer ln.Close()
		if cfg.IssuerBase == "" {
			cfg.IssuerBase = "http://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		}
	}

	pub, sub, cacheSub, closeBus, err := newBus(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer closeBus()

	svc, err := newServices(ctx, cfg, pub, log)
	if err != nil {
		return err
	}
	defer svc.Close()
	if cfg.MigrateOnly {
		fmt.Fprintln(stdout, "opengate: migrations applied")
		return nil
	}

	tasks := boot.NewGroup(ctx, log)
	defer tasks.Stop()
	for _, r := range svc.relays {
		tasks.Go("outbox relay", r.Run)
	}
	for name, pool := range svc.pools {
		tasks.Go("processed-events pruning "+name, boot.PruneProcessedEvents(pool, boot.PruneEvery, boot.ProcessedRetention, log))
	}
	tasks.Go("clients consumer", func(ctx context.Context) error { return clientskafka.Run(ctx, sub, svc.clients) })
	tasks.Go("rbac consumer", func(ctx context.Context) error { return rbackafka.Run(ctx, sub, svc.rbac) })
	tasks.Go("users consumer", func(ctx context.Context) error { return userskafka.Run(ctx, sub, svc.users) })
	tasks.Go("auth consumer", func(ctx context.Context) error { return authkafka.Run(ctx, sub, svc.auth) })
	if cacheSub != nil {
		// Replicas sharing the databases drop cached realms, clients and
		// effective roles when another replica changes them.
		tasks.Go("realm cache invalidation", func(ctx context.Context) error {
			return realmskafka.RunCacheInvalidation(ctx, cacheSub, realmskafka.CacheGroup("opengate", cfg.Instance), svc.realms)
		})
		tasks.Go("client cache invalidation", func(ctx context.Context) error {
			return clientskafka.RunCacheInvalidation(ctx, cacheSub, clientskafka.CacheGroup("opengate", cfg.Instance), svc.clients)
		})
		tasks.Go("role cache invalidation", func(ctx context.Context) error {
			return rbackafka.RunCacheInvalidation(ctx, cacheSub, rbackafka.CacheGroup("opengate", cfg.Instance), svc.rbac)
		})
	}

	generated, err := svc.bootstrap(ctx, cfg, log)
	if err != nil {
		return err
	}
	if generated != "" {
		fmt.Fprintf(stdout, "opengate: created administrator %q in realm master with password %s\n"+
			"opengate: this password is shown once; set OPENGATE_ADMIN_PASSWORD to choose it\n", cfg.AdminUser, generated)
	}

	verifier, err := authverify.New(ctx, cfg.IssuerBase,
		authverify.WithKeySource(authverify.NewLocalKeys(svc.auth.JWKS, 0)),
		authverify.WithRevocationChecker(auth.Revocations{Store: svc.revoked}))
	if err != nil {
		return err
	}
	handler := routes(svc, verifier, log)
	fmt.Fprintf(stdout, "opengate: listening on http://%s (issuer base %s)\n", ln.Addr(), cfg.IssuerBase)
	return iamhttp.ServeListener(ctx, ln, handler)
}

// routes assembles every service's API behind one router. The OIDC endpoints
// authenticate their callers themselves; everything else sits behind the
// token verifier, which puts the caller's principal in the context.
func routes(svc *services, verifier *authverify.Verifier, log *slog.Logger) http.Handler {
	authHandler := authhttp.New(svc.auth)
	return boot.Router(boot.Routes{
		Metrics:  "opengate",
		Checks:   svc.checks,
		Public:   authHandler.OIDCRoutes,
		Verifier: verifier,
		Verified: func(r chi.Router) {
			authHandler.AdminRoutes(r)
			realmshttp.NewHandler(svc.realms).Mount(r)
			clientshttp.NewHandler(svc.clients).Mount(r)
			usershttp.NewHandler(svc.users).Mount(r)
			rbachttp.NewHandler(svc.rbac).Mount(r)
		},
	}, log)
}

// newBus returns Kafka when brokers are configured, with a subscriber for
// cache invalidation (starting at the end of the topics); else the in-process
// bus with every consumer group declared, so no event published during
// start-up is lost, and no cache subscriber (one process: its own writes
// invalidate its caches).
func newBus(ctx context.Context, cfg config, log *slog.Logger) (pub iam.Publisher, sub, cacheSub iam.Subscriber, closeBus func(), err error) {
	if len(cfg.KafkaBrokers) > 0 {
		k, err := boot.OpenKafka(ctx, cfg.KafkaBrokers, log)
		if err != nil {
			return nil, nil, nil, nil, fmt.Errorf("connect to Kafka: %w", err)
		}
		return k.Publisher, k.Subscriber(), k.CacheSubscriber(), k.Close, nil
	}
	bus := iambus.New(iambus.WithLogger(log))
	for group, topics := range map[string][]string{
		clients.Consumer:    clients.Topics(),
		rbac.Consumer:       rbac.Topics(),
		users.ConsumerGroup: users.ConsumedTopics,
		auth.Consumer:       auth.Topics(),
	} {
		if err := bus.Declare(group, topics...); err != nil {
			return nil, nil, nil, nil, err
		}
	}
	return bus, bus, nil, func() { _ = bus.Close() }, nil
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
