package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authkafka"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientskafka"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbackafka"
	"github.com/opengate-iam/opengate/realms/realmshttp"
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

	pub, sub, closeBus, err := newBus(cfg, log)
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

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	background := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && !errors.Is(err, context.Canceled) {
				log.Error("background task stopped", "task", name, "error", err)
			}
		}()
	}
	for _, r := range svc.relays {
		background("outbox relay", r.Run)
	}
	background("clients consumer", func(ctx context.Context) error { return clientskafka.Run(ctx, sub, svc.clients) })
	background("rbac consumer", func(ctx context.Context) error { return rbackafka.Run(ctx, sub, svc.rbac) })
	background("users consumer", func(ctx context.Context) error { return userskafka.Run(ctx, sub, svc.users) })
	background("auth consumer", func(ctx context.Context) error { return authkafka.Run(ctx, sub, svc.auth) })
	defer wg.Wait()
	defer cancel()

	generated, err := svc.bootstrap(ctx, cfg)
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
	metrics := iamhttp.NewMetrics("opengate")
	r := chi.NewRouter()
	r.Use(metrics.Middleware)
	r.Method(http.MethodGet, "/healthz", iamhttp.Healthz())
	r.Method(http.MethodGet, "/readyz", iamhttp.Readyz(svc.checks))
	r.Method(http.MethodGet, "/metrics", metrics.Handler())

	authHandler := authhttp.New(svc.auth)
	authHandler.OIDCRoutes(r)
	r.Group(func(r chi.Router) {
		r.Use(verifier.Middleware)
		authHandler.AdminRoutes(r)
		realmshttp.NewHandler(svc.realms).Mount(r)
		clientshttp.NewHandler(svc.clients).Mount(r)
		usershttp.NewHandler(svc.users).Mount(r)
		rbachttp.NewHandler(svc.rbac).Mount(r)
	})
	return iamhttp.Standard(r, log)
}

// newBus returns Kafka when brokers are configured, else the in-process bus
// with every consumer group declared, so no event published during start-up
// is lost.
func newBus(cfg config, log *slog.Logger) (iam.Publisher, iam.Subscriber, func(), error) {
	if len(cfg.KafkaBrokers) > 0 {
		p, err := iamkafka.OpenPublisher(cfg.KafkaBrokers, iamkafka.WithLogger(log))
		if err != nil {
			return nil, nil, nil, fmt.Errorf("connect to Kafka: %w", err)
		}
		return p, iamkafka.NewSubscriber(cfg.KafkaBrokers, iamkafka.WithLogger(log)), func() { _ = p.Close() }, nil
	}
	bus := iambus.New(iambus.WithLogger(log))
	for group, topics := range map[string][]string{
		clients.Consumer:    clients.Topics(),
		rbac.Consumer:       rbac.Topics(),
		users.ConsumerGroup: users.ConsumedTopics,
		auth.Consumer:       auth.Topics(),
	} {
		if err := bus.Declare(group, topics...); err != nil {
			return nil, nil, nil, err
		}
	}
	return bus, bus, func() { _ = bus.Close() }, nil
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}
