package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authkafka"
	"github.com/opengate-iam/opengate/auth/authpg"
	"github.com/opengate-iam/opengate/auth/authprom"
	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/auth/authui"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/clients/clientskafka"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/mfa/mfahttp"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/rbac/rbackafka"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/session/sessionhttp"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/userskafka"
)

// serviceName names the service in logs, metrics and consumer groups.
const serviceName = "auth-service"

// binary is auth-service's shared settings; :8081 is its port in
// docs/architecture.md.
var binary = boot.Binary{Name: serviceName, Addr: ":8081", Database: "auth", Instance: "this replica's name in its cache consumer groups"}

// config is what run reads from flags and the environment.
type config struct {
	boot.Config
	secretKey   []byte
	previousKey []byte // OPENGATE_SECRET_KEY_PREVIOUS: nil unless rotating keys
	proxies     []netip.Prefix
	themes      fs.FS // OPENGATE_LOGIN_THEMES_DIR: nil for the built-in theme
	rotation    time.Duration
	sessionsURL string // OPENGATE_SESSIONS_URL: session-service
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	shared, err := boot.Parse(binary, args, getenv, stderr)
	if err != nil {
		return config{}, err
	}
	c := config{
		Config:      shared,
		sessionsURL: cmp.Or(getenv("OPENGATE_SESSIONS_URL"), "http://localhost:8087"),
	}
	if c.MigrateOnly {
		return c, nil
	}
	if err := c.RequireRedis(" (codes, refresh tokens and revocations live in Redis)"); err != nil {
		return config{}, err
	}
	if err := c.RequireIssuer(": it is the public URL in every token's iss (e.g. https://id.example.com)"); err != nil {
		return config{}, err
	}
	if c.secretKey, err = boot.RequireSecretKey(getenv, "signing keys"); err != nil {
		return config{}, err
	}
	c.proxies = c.TrustedProxies // read by boot.Parse
	if c.previousKey, err = boot.PreviousSecretKey(getenv); err != nil {
		return config{}, err
	}
	if c.themes, err = boot.LoginThemes(getenv); err != nil {
		return config{}, err
	}
	if v := getenv("OPENGATE_KEY_ROTATION"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Hour {
			return config{}, fmt.Errorf("OPENGATE_KEY_ROTATION: %q is not a duration of at least 1h", v)
		}
		c.rotation = d
	}
	if err := c.RequireKafka(); err != nil {
		return config{}, err
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
	log := cfg.Logger(stderr, serviceName)
	pool, err := cfg.OpenPostgres(ctx, authpg.Migrate)
	if err != nil {
		return err
	}
	defer pool.Close()
	if cfg.MigrateOnly {
		cfg.Print(stdout, serviceName+": database migrated")
		return nil
	}
	rdb, err := boot.OpenRedis(cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	sealer, err := boot.NewSealer(cfg.secretKey, cfg.previousKey)
	if err != nil {
		return err
	}
	keyCheck, err := boot.CheckSealingKey(ctx, pool, sealer)
	if err != nil {
		return err
	}
	keys, err := authpg.NewKeyStore(pool, sealer)
	if err != nil {
		return err
	}

	realmGetter := realms.NewCachedGetter(realmshttp.NewClient(cfg.Peers.Realms, cfg.ServiceToken))
	clientReader := clients.NewCachedReader(clientshttp.NewClient(cfg.Peers.Clients, cfg.ServiceToken))
	tokens := authredis.New(rdb, authredis.WithPrefix(cfg.RedisPrefix))
	rbacClient := rbachttp.NewClient(cfg.Peers.RBAC, cfg.ServiceToken)
	roles := rbac.NewCachedResolver(rbacClient, rbac.WithGroupPaths(rbacClient))
	usersClient := usershttp.NewClient(cfg.Peers.Users, cfg.ServiceToken)
	// The user read of every refresh and userinfo is cached
	// (users.DefaultCacheTTL), dropped by the users events.
	userCache := users.NewCachedGetter(usersClient, 0, 0)
	cachedUsersClient := cachedUsers{Client: usersClient, cache: userCache}
	sessionsClient := sessionhttp.NewClient(cfg.sessionsURL, cfg.ServiceToken)
	mfaClient := mfahttp.NewClient(cfg.Peers.MFA, cfg.ServiceToken)
	// Every refresh and introspection asks session-service whether the
	// session is alive (introspection's "alive" cached for
	// sessionhttp.DefaultAliveCacheTTL); the password grant and the login
	// pages ask mfa-service for second factors; a client with a
	// group-membership mapper reads the user's groups from rbac-service,
	// cached with the roles. Introspection and userinfo verify a token's
	// signature once (auth.WithTokenCache).
	metrics := authprom.New()
	opts := []auth.Option{auth.WithPublisher(authpg.NewOutbox(pool)), auth.WithUserFinder(usersClient),
		auth.WithMetrics(metrics), auth.WithLogger(log),
		auth.WithSessionChecker(sessionsClient), auth.WithSecondFactors(mfaClient), auth.WithGroups(roles),
		auth.WithTokenCache(0)}
	if cfg.rotation > 0 {
		opts = append(opts, auth.WithKeyRotation(cfg.rotation))
	}
	svc, err := auth.New(cfg.IssuerBase, realmGetter, clientReader, cachedUsersClient, roles,
		keys, tokens, opts...)
	if err != nil {
		return fmt.Errorf("OPENGATE_ISSUER_BASE: %w", err)
	}
	// The realm's current id comes from the realm getter auth mints with, on
	// every token; realm events drop the cached keys (FollowRealmEvents).
	verifier, err := authverify.New(ctx, cfg.IssuerBase, authverify.WithKeySource(authverify.NewLocalKeys(svc.JWKS, time.Minute)),
		authverify.WithRealmIDs(svc), authverify.WithRevocationChecker(auth.Revocations{Store: tokens}))
	if err != nil {
		return fmt.Errorf("OPENGATE_ISSUER_BASE: %w", err)
	}

	srv := boot.NewServer(serviceName, log)
	defer srv.Close()
	if len(cfg.Brokers) > 0 {
		bus, err := srv.OpenKafka(ctx, cfg.Kafka, pool)
		if err != nil {
			return err
		}
		// A replica's cache groups only need what happens from now on.
		sub, cacheSub := bus.Subscriber(), bus.CacheSubscriber()
		srv.Task("auth consumer", func(ctx context.Context) error { return authkafka.Run(ctx, sub, svc) })
		srv.Task("realm cache invalidation", func(ctx context.Context) error {
			return realmskafka.RunCacheInvalidation(ctx, cacheSub, realmskafka.CacheGroup(serviceName, cfg.Instance), realmGetter)
		})
		srv.Task("role cache invalidation", func(ctx context.Context) error {
			return rbackafka.RunCacheInvalidation(ctx, cacheSub, rbackafka.CacheGroup(serviceName, cfg.Instance), roles)
		})
		srv.Task("client cache invalidation", func(ctx context.Context) error {
			return clientskafka.RunCacheInvalidation(ctx, cacheSub, clientskafka.CacheGroup(serviceName, cfg.Instance), clientReader)
		})
		srv.Task("user cache invalidation", func(ctx context.Context) error {
			return userskafka.RunCacheInvalidation(ctx, cacheSub, userskafka.CacheGroup(serviceName, cfg.Instance), userCache)
		})
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: events stay in the outbox, none are consumed, caches expire by TTL only; run a single replica")
	}
	srv.FollowRealmEvents(verifier, cfg.Instance)
	if cfg.ServiceToken == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: the other services' internal APIs will refuse auth's calls")
	}

	// The browser sign-in (authorization endpoint, login and account pages,
	// RP-initiated logout) acts for users through the other services'
	// internal APIs.
	uopts := []authui.Option{authui.WithSessions(sessionsClient), authui.WithAuthenticators(mfaClient),
		authui.WithLogger(log), authui.WithThemes(cfg.themes)}
	var hopts []authhttp.Option
	if len(cfg.proxies) > 0 {
		clientIP := authhttp.TrustForwardedFor(cfg.proxies...)
		hopts = append(hopts, authhttp.WithClientIP(clientIP))
		uopts = append(uopts, authui.WithClientIP(clientIP))
	}
	ui, err := authui.New(svc, usersClient, uopts...)
	if err != nil {
		return fmt.Errorf("login pages: %w", err)
	}
	hopts = append(hopts, authhttp.WithBrowser(ui))
	// Admin calls are checked against the caller's current state, read
	// through the same cached clients auth uses.
	hopts = append(hopts, authhttp.WithAdminGuard(srv.AdminGuard(cfg.Config,
		boot.Own{Realms: realmGetter, Users: usersClient, Clients: clientReader, Roles: roles}, nil)))
	api := authhttp.NewHandler(svc, hopts...)
	// The OIDC endpoints authenticate their callers themselves; the admin
	// endpoints sit behind token verification.
	return srv.Serve(ctx, cfg.Listen(), stdout, boot.Routes{
		Metrics: "auth",
		Checks: map[string]iamhttp.Check{
			"postgres":    pool.Ping,
			"sealing_key": keyCheck,
			"redis":       boot.RedisCheck(rdb),
		},
		Public:     api.MountPublic,
		Verifier:   verifier,
		Verified:   api.Mount,
		Collectors: []prometheus.Collector{metrics},
	})
}

// cachedUsers is the users client with Get from a cache: auth reads the
// user of every refresh and userinfo through it.
type cachedUsers struct {
	*usershttp.Client
	cache *users.CachedGetter
}

// Get returns the user from the cache, or from user-service.
func (u cachedUsers) Get(ctx context.Context, realm iam.Realm, id string) (users.User, error) {
	return u.cache.Get(ctx, realm, id)
}
