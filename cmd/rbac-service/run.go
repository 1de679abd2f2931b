package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbackafka"
	"github.com/opengate-iam/opengate/rbac/rbacpg"
)

// defaultAddr is rbac-service's port in ARCHITECTURE.md.
const defaultAddr = ":8084"

// config is what run reads from flags and the environment.
type config struct {
	addr        string
	migrateOnly bool
	postgresURL string
	issuerBase  string
	token       string
	brokers     []string
	adminUser   string
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("rbac-service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := getenv("OPENGATE_ADDR")
	if addr == "" {
		addr = defaultAddr
	}
	c := config{
		postgresURL: getenv("OPENGATE_POSTGRES_URL"),
		issuerBase:  getenv("OPENGATE_ISSUER_BASE"),
		token:       getenv("OPENGATE_SERVICE_TOKEN"),
		adminUser:   getenv("OPENGATE_ADMIN_USER"),
	}
	fs.StringVar(&c.addr, "addr", addr, "listen address (OPENGATE_ADDR)")
	fs.BoolVar(&c.migrateOnly, "migrate-only", false, "migrate the database and exit")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if c.postgresURL == "" {
		return config{}, errors.New("OPENGATE_POSTGRES_URL is required")
	}
	if !c.migrateOnly && c.issuerBase == "" {
		return config{}, errors.New("OPENGATE_ISSUER_BASE is required (admin calls are authorized by its tokens)")
	}
	for _, b := range strings.Split(getenv("OPENGATE_KAFKA_BROKERS"), ",") {
		if b = strings.TrimSpace(b); b != "" {
			c.brokers = append(c.brokers, b)
		}
	}
	return c, nil
}

// run migrates, then serves the rbac admin API and runs the outbox relay and
// the consumers until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("service", "rbac")

	pool, err := pgxpool.New(ctx, cfg.postgresURL)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer pool.Close()
	if err := rbacpg.Migrate(ctx, pool); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cfg.migrateOnly {
		fmt.Fprintln(stdout, "rbac-service: database migrated")
		return nil
	}

	verifier, err := authverify.New(ctx, cfg.issuerBase)
	if err != nil {
		return fmt.Errorf("OPENGATE_ISSUER_BASE: %w", err)
	}
	svc := rbac.New(rbacpg.New(pool), rbac.WithBootstrapAdmin(cfg.adminUser))

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	background := make(chan error, 2)
	workers := 0
	if len(cfg.brokers) > 0 {
		pub, err := iamkafka.OpenPublisher(cfg.brokers, iamkafka.WithLogger(log))
		if err != nil {
			return fmt.Errorf("kafka: %w", err)
		}
		defer pub.Close()
		relay := iampg.NewRelay(pool, pub, iampg.WithLogger(log))
		sub := iamkafka.NewSubscriber(cfg.brokers, iamkafka.WithLogger(log))
		workers = 2
		go func() { background <- relay.Run(ctx) }()
		go func() { background <- rbackafka.Run(ctx, sub, svc) }()
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: events stay in the outbox and no events are consumed")
	}
	if cfg.token == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: the internal API refuses every call")
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "rbac-service listening on %s\n", ln.Addr())
	serveErr := iamhttp.ServeListener(ctx, ln, handler(rbachttp.NewHandler(svc, rbachttp.WithServiceToken(cfg.token)), verifier, pool, log))
	cancel()
	for range workers {
		if err := <-background; err != nil && !errors.Is(err, context.Canceled) {
			log.Error("background worker stopped", "error", err.Error())
		}
	}
	return serveErr
}

// handler routes the admin and internal API (behind token verification),
// health, readiness and metrics.
func handler(api *rbachttp.Handler, verifier *authverify.Verifier, pool *pgxpool.Pool, log *slog.Logger) http.Handler {
	metrics := iamhttp.NewMetrics("rbac")
	r := chi.NewRouter()
	r.Use(metrics.Middleware)
	r.Method(http.MethodGet, "/healthz", iamhttp.Healthz())
	r.Method(http.MethodGet, "/readyz", iamhttp.Readyz(map[string]iamhttp.Check{"postgres": pool.Ping}))
	r.Method(http.MethodGet, "/metrics", metrics.Handler())
	r.Group(func(r chi.Router) {
		r.Use(verifier.Middleware)
		api.Mount(r)
	})
	return iamhttp.Standard(r, log)
}
