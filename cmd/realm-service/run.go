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
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/realms/realmspg"
)

// defaultAddr is realm-service's port in ARCHITECTURE.md.
const defaultAddr = ":8083"

// serviceName names the service in logs, metrics and consumer groups.
const serviceName = "realm-service"

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
	if !c.migrateOnly && c.issuerBase == "" {
		return config{}, errors.New("OPENGATE_ISSUER_BASE is required (admin calls are authorized by its tokens)")
	}
	if s := getenv("OPENGATE_SECRET_KEY"); s != "" {
		key, err := iamcrypto.ParseKey(s)
		if err != nil {
			return config{}, fmt.Errorf("OPENGATE_SECRET_KEY: %s", iam.ErrorMessage(err))
		}
		c.secretKey = key
	}
	if c.instance == "" {
		c.instance = "default"
	}
	for _, b := range strings.Split(getenv("OPENGATE_KAFKA_BROKERS"), ",") {
		if b = strings.TrimSpace(b); b != "" {
			c.brokers = append(c.brokers, b)
		}
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
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("service", serviceName)

	pool, err := pgxpool.New(ctx, cfg.postgresURL)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer pool.Close()
	if err := realmspg.Migrate(ctx, pool); err != nil {
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
	var storeOpts []realmspg.Option
	if cfg.secretKey != nil {
		sealer, err := iamcrypto.NewSealer(cfg.secretKey)
		if err != nil {
			return fmt.Errorf("OPENGATE_SECRET_KEY: %w", err)
		}
		storeOpts = append(storeOpts, realmspg.WithSealer(sealer))
	} else {
		log.Warn("OPENGATE_SECRET_KEY is not set: realms cannot be given an SMTP password")
	}
	svc := realms.New(realmspg.New(pool, storeOpts...))
	if _, err := svc.EnsureMaster(ctx); err != nil {
		return fmt.Errorf("create the master realm: %w", err)
	}

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
		// A replica's cache group only needs what happens from now on.
		cacheSub := iamkafka.NewSubscriber(cfg.brokers, iamkafka.WithLogger(log),
			iamkafka.WithClientOpts(kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd())))
		group := realmskafka.CacheGroup(serviceName, cfg.instance)
		workers = 2
		go func() { background <- relay.Run(ctx) }()
		go func() { background <- realmskafka.RunCacheInvalidation(ctx, cacheSub, group, svc) }()
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: events stay in the outbox; run a single replica")
	}
	if cfg.token == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: the internal API refuses every call")
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s listening on %s\n", serviceName, ln.Addr())
	api := realmshttp.NewHandler(svc, realmshttp.WithServiceToken(cfg.token))
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
func handler(api *realmshttp.Handler, verifier *authverify.Verifier, pool *pgxpool.Pool, log *slog.Logger) http.Handler {
	metrics := iamhttp.NewMetrics("realms")
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
