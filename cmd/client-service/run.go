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
	"os"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientskafka"
	"github.com/opengate-iam/opengate/clients/clientspg"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iampg"
)

// defaultAddr is client-service's port in ARCHITECTURE.md.
const defaultAddr = ":8085"

// serviceName names the service in logs, metrics and consumer groups.
const serviceName = "client-service"

// config is what run reads from flags and the environment.
type config struct {
	addr        string
	migrateOnly bool
	postgresURL string
	issuerBase  string
	token       string
	secretKey   []byte
	brokers     []string
	instance    string
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet(serviceName, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := getenv("OPENGATE_ADDR")
	if addr == "" {
		addr = defaultAddr
	}
	instance := getenv("OPENGATE_INSTANCE")
	if instance == "" {
		instance, _ = os.Hostname()
	}
	c := config{
		postgresURL: getenv("OPENGATE_POSTGRES_URL"),
		issuerBase:  getenv("OPENGATE_ISSUER_BASE"),
		token:       getenv("OPENGATE_SERVICE_TOKEN"),
	}
	fs.StringVar(&c.addr, "addr", addr, "listen address (OPENGATE_ADDR)")
	fs.BoolVar(&c.migrateOnly, "migrate-only", false, "migrate the database and exit")
	fs.StringVar(&c.instance, "instance", instance, "this replica's name in its cache consumer group (OPENGATE_INSTANCE)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if c.postgresURL == "" {
		return config{}, errors.New("OPENGATE_POSTGRES_URL is required")
	}
	if c.instance == "" {
		c.instance = "default"
	}
	for _, b := range strings.Split(getenv("OPENGATE_KAFKA_BROKERS"), ",") {
		if b = strings.TrimSpace(b); b != "" {
			c.brokers = append(c.brokers, b)
		}
	}
	if c.migrateOnly {
		return c, nil
	}
	if c.issuerBase == "" {
		return config{}, errors.New("OPENGATE_ISSUER_BASE is required (admin calls are authorized by its tokens)")
	}
	s := getenv("OPENGATE_SECRET_KEY")
	if s == "" {
		return config{}, errors.New("OPENGATE_SECRET_KEY is required: client secrets are sealed with it at rest (generate one with: openssl rand -base64 32)")
	}
	key, err := iamcrypto.ParseKey(s)
	if err != nil {
		return config{}, fmt.Errorf("OPENGATE_SECRET_KEY: %s", iam.ErrorMessage(err))
	}
	c.secretKey = key
	return c, nil
}

// run migrates, ensures master's admin-cli, then serves the API and runs the
// outbox relay and the consumers until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("service", serviceName)

	pool, err := pgxpool.New(ctx, cfg.postgresURL)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer pool.Close()
	if err := clientspg.Migrate(ctx, pool); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cfg.migrateOnly {
		fmt.Fprintln(stdout, serviceName+": database migrated")
		return nil
	}

	verifier, err := authverify.New(ctx, cfg.issuerBase)
	if err != nil {
		return fmt.Errorf("OPENGATE_ISSUER_BASE: %w", err)
	}
	sealer, err := iamcrypto.NewSealer(cfg.secretKey)
	if err != nil {
		return fmt.Errorf("OPENGATE_SECRET_KEY: %w", err)
	}
	svc := clients.New(clientspg.New(pool), sealer)
	if err := svc.EnsureDefaults(ctx, iam.MasterRealm); err != nil {
		return fmt.Errorf("create master's default clients: %w", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	background := make(chan error, 3)
	workers := 0
	if len(cfg.brokers) > 0 {
		pub, err := iamkafka.OpenPublisher(cfg.brokers, iamkafka.WithLogger(log))
		if err != nil {
			return fmt.Errorf("kafka: %w", err)
		}
		defer pub.Close()
		relay := iampg.NewRelay(pool, pub, iampg.WithLogger(log))
		sub := iamkafka.NewSubscriber(cfg.brokers, iamkafka.WithLogger(log))
		// A replica's cache group only needs what happens from now on.
		cacheSub := iamkafka.NewSubscriber(cfg.brokers, iamkafka.WithLogger(log),
			iamkafka.WithClientOpts(kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd())))
		group := clientskafka.CacheGroup(serviceName, cfg.instance)
		workers = 3
		go func() { background <- relay.Run(ctx) }()
		go func() { background <- clientskafka.Run(ctx, sub, svc) }()
		go func() { background <- clientskafka.RunCacheInvalidation(ctx, cacheSub, group, svc) }()
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: events stay in the outbox, none are consumed; run a single replica")
	}
	if cfg.token == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: the internal API refuses every call")
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s listening on %s\n", serviceName, ln.Addr())
	api := clientshttp.NewHandler(svc, clientshttp.WithServiceToken(cfg.token))
	serveErr := iamhttp.ServeListener(ctx, ln, handler(api, verifier, pool, log))
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
func handler(api *clientshttp.Handler, verifier *authverify.Verifier, pool *pgxpool.Pool, log *slog.Logger) http.Handler {
	metrics := iamhttp.NewMetrics("clients")
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
