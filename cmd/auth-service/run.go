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
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authkafka"
	"github.com/opengate-iam/opengate/auth/authpg"
	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientskafka"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/users/usershttp"
)

// defaultAddr is auth-service's port in ARCHITECTURE.md.
const defaultAddr = ":8081"

// serviceName names the service in logs, metrics and consumer groups.
const serviceName = "auth-service"

// config is what run reads from flags and the environment.
type config struct {
	addr        string
	migrateOnly bool
	postgresURL string
	redisURL    string
	redisPrefix string
	issuerBase  string
	secretKey   []byte
	token       string
	realmsURL   string
	usersURL    string
	rbacURL     string
	clientsURL  string
	brokers     []string
	proxies     []netip.Prefix
	rotation    time.Duration
	instance    string
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet(serviceName, flag.ContinueOnError)
	fs.SetOutput(stderr)
	instance := getenv("OPENGATE_INSTANCE")
	if instance == "" {
		instance, _ = os.Hostname()
	}
	c := config{
		postgresURL: getenv("OPENGATE_POSTGRES_URL"),
		redisURL:    getenv("OPENGATE_REDIS_URL"),
		redisPrefix: orDefault(getenv("OPENGATE_REDIS_PREFIX"), "opengate:"),
		issuerBase:  getenv("OPENGATE_ISSUER_BASE"),
		token:       getenv("OPENGATE_SERVICE_TOKEN"),
		realmsURL:   orDefault(getenv("OPENGATE_REALMS_URL"), "http://localhost:8083"),
		usersURL:    orDefault(getenv("OPENGATE_USERS_URL"), "http://localhost:8082"),
		rbacURL:     orDefault(getenv("OPENGATE_RBAC_URL"), "http://localhost:8084"),
		clientsURL:  orDefault(getenv("OPENGATE_CLIENTS_URL"), "http://localhost:8085"),
	}
	fs.StringVar(&c.addr, "addr", orDefault(getenv("OPENGATE_ADDR"), defaultAddr), "listen address (OPENGATE_ADDR)")
	fs.BoolVar(&c.migrateOnly, "migrate-only", false, "migrate the database and exit")
	fs.StringVar(&c.instance, "instance", instance, "this replica's name in its cache consumer groups (OPENGATE_INSTANCE)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if c.postgresURL == "" {
		return config{}, errors.New("OPENGATE_POSTGRES_URL is required")
	}
	if c.instance == "" {
		c.instance = "default"
	}
	if c.migrateOnly {
		return c, nil
	}
	if c.redisURL == "" {
		return config{}, errors.New("OPENGATE_REDIS_URL is required (codes, refresh tokens and revocations live in Redis)")
	}
	if c.issuerBase == "" {
		return config{}, errors.New("OPENGATE_ISSUER_BASE is required: it is the public URL in every token's iss (e.g. https://id.example.com)")
	}
	s := getenv("OPENGATE_SECRET_KEY")
	if s == "" {
		return config{}, errors.New("OPENGATE_SECRET_KEY is required: signing keys are sealed with it at rest (generate one with: openssl rand -base64 32)")
	}
	key, err := iamcrypto.ParseKey(s)
	if err != nil {
		return config{}, fmt.Errorf("OPENGATE_SECRET_KEY: %s", iam.ErrorMessage(err))
	}
	c.secretKey = key
	for _, b := range strings.Split(getenv("OPENGATE_KAFKA_BROKERS"), ",") {
		if b = strings.TrimSpace(b); b != "" {
			c.brokers = append(c.brokers, b)
		}
	}
	for _, p := range strings.Split(getenv("OPENGATE_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			return config{}, fmt.Errorf("OPENGATE_TRUSTED_PROXIES: %q is not a CIDR", p)
		}
		c.proxies = append(c.proxies, prefix)
	}
	if v := getenv("OPENGATE_KEY_ROTATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour {
			return config{}, fmt.Errorf("OPENGATE_KEY_ROTATION: %q is not a duration of at least 1h", v)
		}
		c.rotation = d
	}
	return c, nil
}

// run migrates, then serves the API and runs the outbox relay and the
// consumers until ctx ends.
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
	if err := authpg.Migrate(ctx, pool); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if cfg.migrateOnly {
		fmt.Fprintln(stdout, serviceName+": database migrated")
		return nil
	}
	ropt, err := rueidis.ParseURL(cfg.redisURL)
	if err != nil {
		return fmt.Errorf("OPENGATE_REDIS_URL: %w", err)
	}
	ropt.DisableCache = true
	rdb, err := rueidis.NewClient(ropt)
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	defer rdb.Close()
	sealer, err := iamcrypto.NewSealer(cfg.secretKey)
	if err != nil {
		return fmt.Errorf("OPENGATE_SECRET_KEY: %w", err)
	}

	realmGetter := realms.NewCachedGetter(realmshttp.NewClient(cfg.realmsURL, cfg.token))
	clientReader := clients.NewCachedReader(clientshttp.NewClient(cfg.clientsURL, cfg.token))
	tokens := authredis.New(rdb, authredis.WithPrefix(cfg.redisPrefix))
	opts := []auth.Option{auth.WithPublisher(authpg.NewOutbox(pool))}
	if cfg.rotation > 0 {
		opts = append(opts, auth.WithKeyRotation(cfg.rotation))
	}
	svc, err := auth.New(cfg.issuerBase, realmGetter, clientReader,
		usershttp.NewClient(cfg.usersURL, cfg.token), rbachttp.NewClient(cfg.rbacURL, cfg.token),
		authpg.NewKeyStore(pool, sealer), tokens, opts...)
	if err != nil {
		return fmt.Errorf("OPENGATE_ISSUER_BASE: %w", err)
	}
	verifier, err := authverify.New(ctx, cfg.issuerBase, authverify.WithKeySource(authverify.NewLocalKeys(svc.JWKS, time.Minute)),
		authverify.WithRevocationChecker(auth.Revocations{Store: tokens}))
	if err != nil {
		return fmt.Errorf("OPENGATE_ISSUER_BASE: %w", err)
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
		workers = 4
		go func() { background <- relay.Run(ctx) }()
		go func() { background <- authkafka.Run(ctx, sub, svc) }()
		go func() {
			background <- realmskafka.RunCacheInvalidation(ctx, sub, realmskafka.CacheGroup(serviceName, cfg.instance), realmGetter)
		}()
		go func() {
			background <- clientskafka.RunCacheInvalidation(ctx, sub, clientskafka.CacheGroup(serviceName, cfg.instance), clientReader)
		}()
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: events stay in the outbox, none are consumed, caches expire by TTL only; run a single replica")
	}
	if cfg.token == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: the other services' internal APIs will refuse auth's calls")
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s listening on %s\n", serviceName, ln.Addr())
	var hopts []authhttp.Option
	if len(cfg.proxies) > 0 {
		hopts = append(hopts, authhttp.WithClientIP(authhttp.TrustForwardedFor(cfg.proxies...)))
	}
	api := authhttp.New(svc, hopts...)
	ready := map[string]iamhttp.Check{
		"postgres": pool.Ping,
		"redis":    func(ctx context.Context) error { return rdb.Do(ctx, rdb.B().Ping().Build()).Error() },
	}
	serveErr := iamhttp.ServeListener(ctx, ln, handler(api, verifier, ready, log))
	cancel()
	for range workers {
		if err := <-background; err != nil && !errors.Is(err, context.Canceled) {
			log.Error("background worker stopped", "error", err.Error())
		}
	}
	return serveErr
}

// handler routes the OIDC endpoints, the admin endpoints (behind token
// verification), health, readiness and metrics.
func handler(api *authhttp.Handler, verifier *authverify.Verifier, ready map[string]iamhttp.Check, log *slog.Logger) http.Handler {
	metrics := iamhttp.NewMetrics("auth")
	r := chi.NewRouter()
	r.Use(metrics.Middleware)
	r.Method(http.MethodGet, "/healthz", iamhttp.Healthz())
	r.Method(http.MethodGet, "/readyz", iamhttp.Readyz(ready))
	r.Method(http.MethodGet, "/metrics", metrics.Handler())
	api.OIDCRoutes(r)
	r.Group(func(r chi.Router) {
		r.Use(verifier.Middleware)
		api.AdminRoutes(r)
	})
	return iamhttp.Standard(r, log)
}
