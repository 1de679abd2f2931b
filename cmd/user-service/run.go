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
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/userskafka"
	"github.com/opengate-iam/opengate/users/userspg"
)

// serviceName names the service in logs, metrics and consumer groups.
const serviceName = "users"

// defaultAddr is user-service's port in ARCHITECTURE.md.
const defaultAddr = ":8082"

// config is what run reads from flags and the environment.
type config struct {
	addr          string
	migrateOnly   bool
	postgresURL   string
	issuerBase    string
	publicURL     string
	token         string
	realmsURL     string
	brokers       []string
	instance      string
	adminUser     string
	adminPassword string
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("user-service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	instance := getenv("OPENGATE_INSTANCE")
	if instance == "" {
		instance, _ = os.Hostname()
	}
	c := config{
		postgresURL:   getenv("OPENGATE_POSTGRES_URL"),
		issuerBase:    getenv("OPENGATE_ISSUER_BASE"),
		token:         getenv("OPENGATE_SERVICE_TOKEN"),
		realmsURL:     orDefault(getenv("OPENGATE_REALMS_URL"), "http://localhost:8083"),
		adminUser:     orDefault(getenv("OPENGATE_ADMIN_USER"), "admin"),
		adminPassword: getenv("OPENGATE_ADMIN_PASSWORD"),
	}
	fs.StringVar(&c.addr, "addr", orDefault(getenv("OPENGATE_ADDR"), defaultAddr), "listen address (OPENGATE_ADDR)")
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
	if !c.migrateOnly && c.issuerBase == "" {
		return config{}, errors.New("OPENGATE_ISSUER_BASE is required (admin and account calls are authorized by its tokens)")
	}
	c.publicURL = orDefault(getenv("OPENGATE_PUBLIC_URL"), c.issuerBase)
	for _, b := range strings.Split(getenv("OPENGATE_KAFKA_BROKERS"), ",") {
		if b = strings.TrimSpace(b); b != "" {
			c.brokers = append(c.brokers, b)
		}
	}
	return c, nil
}

// run migrates, then serves the users API and runs the outbox relay, the
// consumers and the bootstrap until ctx ends.
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
	if err := userspg.Migrate(ctx, pool); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cfg.migrateOnly {
		fmt.Fprintln(stdout, "user-service: database migrated")
		return nil
	}

	verifier, err := authverify.New(ctx, cfg.issuerBase)
	if err != nil {
		return fmt.Errorf("OPENGATE_ISSUER_BASE: %w", err)
	}
	realmGetter := realms.NewCachedGetter(realmshttp.NewClient(cfg.realmsURL, cfg.token))
	svc := users.New(userspg.New(pool), realmGetter, users.WithPublicURL(cfg.publicURL), users.WithLogger(log))
	if cfg.token == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: the internal API refuses every call and realm settings cannot be read")
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	background := make(chan error, 4)
	workers := 0
	if len(cfg.brokers) > 0 {
		pub, err := iamkafka.OpenPublisher(cfg.brokers, iamkafka.WithLogger(log))
		if err != nil {
			return fmt.Errorf("kafka: %w", err)
		}
		defer pub.Close()
		relay := iampg.NewRelay(pool, pub, iampg.WithLogger(log))
		sub := iamkafka.NewSubscriber(cfg.brokers, iamkafka.WithLogger(log))
		workers += 3
		go func() { background <- relay.Run(ctx) }()
		go func() { background <- userskafka.Run(ctx, sub, svc) }()
		go func() {
			background <- realmskafka.RunCacheInvalidation(ctx, sub, realmskafka.CacheGroup(serviceName, cfg.instance), realmGetter)
		}()
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: events stay in the outbox and no events are consumed")
	}
	if cfg.adminPassword != "" {
		workers++
		go func() { background <- bootstrap(ctx, svc, cfg.adminUser, cfg.adminPassword, stdout, log) }()
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user-service listening on %s\n", ln.Addr())
	api := usershttp.NewHandler(svc, usershttp.WithServiceToken(cfg.token))
	serveErr := iamhttp.ServeListener(ctx, ln, handler(api, verifier, pool, log))
	cancel()
	for range workers {
		if err := <-background; err != nil && !errors.Is(err, context.Canceled) {
			log.Error("background worker stopped", "error", err.Error())
		}
	}
	return serveErr
}

// bootstrap creates the master realm's administrator, retrying while the
// realm service (or the master realm) is not there yet.
func bootstrap(ctx context.Context, svc *users.Service, username, password string, stdout io.Writer, log *slog.Logger) error {
	wait := time.Second
	for {
		u, created, err := svc.EnsureAdmin(ctx, username, password)
		switch {
		case err == nil && created:
			fmt.Fprintf(stdout, "user-service: created administrator %q (id %s) in realm master; grant it the admin role through rbac\n", u.Username, u.ID)
			return nil
		case err == nil:
			return nil
		case iam.ErrorCode(err) == iam.CodeInvalid:
			return fmt.Errorf("bootstrap administrator: %w", err)
		}
		log.Warn("bootstrap administrator: retrying", "error", err.Error())
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, 30*time.Second)
	}
}

// handler routes the API (behind token verification), health, readiness and
// metrics. Public login actions and the internal API need no token; the
// verifier only adds a principal when one is sent.
func handler(api *usershttp.Handler, verifier *authverify.Verifier, pool *pgxpool.Pool, log *slog.Logger) http.Handler {
	metrics := iamhttp.NewMetrics(serviceName)
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
