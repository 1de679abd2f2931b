package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/mfa/mfahttp"
	"github.com/opengate-iam/opengate/rbac/rbachttp"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmshttp"
	"github.com/opengate-iam/opengate/realms/realmskafka"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/usershttp"
	"github.com/opengate-iam/opengate/users/userskafka"
	"github.com/opengate-iam/opengate/users/userspg"
	"github.com/opengate-iam/opengate/users/usersprom"
	"github.com/opengate-iam/opengate/users/usersredis"
)

// serviceName names the service in logs, metrics and consumer groups.
const serviceName = "users"

// binary is user-service's shared settings; :8082 is its port in
// docs/architecture.md.
var binary = boot.Binary{Name: "user-service", Addr: ":8082", Database: "users", Instance: "this replica's name in its cache consumer group"}

// config is what run reads from flags and the environment.
type config struct {
	boot.Config
	secretKey     []byte         // OPENGATE_SECRET_KEY: its action-link subkey seals links in events
	previous      []byte         // OPENGATE_SECRET_KEY_PREVIOUS: nil unless rotating keys
	proxies       []netip.Prefix // OPENGATE_TRUSTED_PROXIES: whose X-Forwarded-For names the caller
	publicURL     string
	adminUser     string
	adminPassword string
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	shared, err := boot.Parse(binary, args, getenv, stderr)
	if err != nil {
		return config{}, err
	}
	c := config{
		Config:        shared,
		publicURL:     cmp.Or(getenv("OPENGATE_PUBLIC_URL"), shared.IssuerBase),
		adminUser:     cmp.Or(getenv("OPENGATE_ADMIN_USER"), "admin"),
		adminPassword: getenv("OPENGATE_ADMIN_PASSWORD"),
	}
	if shared.MigrateOnly {
		return c, nil
	}
	if err := shared.RequireIssuer(" (admin and account calls are authorized by its tokens)"); err != nil {
		return config{}, err
	}
	if err := shared.RequireRedis(" (logged-out tokens are refused by reading auth's revocation list there)"); err != nil {
		return config{}, err
	}
	if c.secretKey, err = boot.RequireSecretKey(getenv, "the action links of verification and reset events"); err != nil {
		return config{}, err
	}
	if c.previous, err = boot.PreviousSecretKey(getenv); err != nil {
		return config{}, err
	}
	c.proxies = c.TrustedProxies // read by boot.Parse
	if err := c.RequireKafka(); err != nil {
		return config{}, err
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
	log := cfg.Logger(stderr, serviceName)
	pool, err := cfg.OpenPostgres(ctx, userspg.Migrate)
	if err != nil {
		return err
	}
	defer pool.Close()
	if cfg.MigrateOnly {
		cfg.Print(stdout, binary.Name+": database migrated")
		return nil
	}

	// Action links travel sealed under the deployment key's link subkey,
	// which only notification-service opens.
	links, err := boot.NewLinkSealer(cfg.secretKey, cfg.previous)
	if err != nil {
		return err
	}
	realmGetter := realms.NewCachedGetter(realmshttp.NewClient(cfg.Peers.Realms, cfg.ServiceToken))
	// Nobody changes a user holding admin roles they do not hold
	// themselves: both sides' roles are read from rbac-service at each
	// change (uncached: changes to users are rare, and a role granted a
	// moment ago must count).
	// Password-reset requests are counted in Redis, by every replica
	// together, per login and per caller address.
	rdb, err := boot.OpenRedis(cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rdb.Close()
	svc := users.New(userspg.New(pool), realmGetter, users.WithPublicURL(cfg.publicURL), users.WithLogger(log),
		users.WithRoles(rbachttp.NewClient(cfg.Peers.RBAC, cfg.ServiceToken)), users.WithLinkSealer(links),
		// Keycloak's credential view shows (and removes) mfa-service's
		// factors beside the password.
		users.WithFactorCredentials(mfahttp.NewClient(cfg.Peers.MFA, cfg.ServiceToken)),
		users.WithResetLimits(usersredis.NewLimiter(rdb, usersredis.WithPrefix(cfg.RedisPrefix)), users.DefaultResetLimits()),
		// The account API's current-password check counts against auth's
		// brute-force protection, in auth's Redis.
		users.WithPasswordGuard(auth.NewLockout(realmGetter, authredis.New(rdb, authredis.WithPrefix(cfg.RedisPrefix)), 0, nil)),
		// The admin guard's read of the caller comes from memory; this
		// replica's changes drop it at once, other replicas' by their events.
		users.WithCache(0, 0))
	if cfg.ServiceToken == "" {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: the internal API refuses every call and realm settings cannot be read")
	}

	srv := boot.NewServer(binary.Name, log)
	defer srv.Close()
	var bus *boot.Kafka
	if len(cfg.Brokers) > 0 {
		if bus, err = srv.OpenKafka(ctx, cfg.Kafka, pool); err != nil {
			return err
		}
		sub := bus.Subscriber()
		group := realmskafka.CacheGroup(serviceName, cfg.Instance)
		srv.Task("users consumer", func(ctx context.Context) error { return userskafka.Run(ctx, sub, svc) })
		srv.Task("realm cache invalidation", func(ctx context.Context) error {
			return realmskafka.RunCacheInvalidation(ctx, bus.CacheSubscriber(), group, realmGetter)
		})
		srv.Task("user cache invalidation", func(ctx context.Context) error {
			return userskafka.RunCacheInvalidation(ctx, bus.CacheSubscriber(), userskafka.CacheGroup(serviceName, cfg.Instance), svc)
		})
	} else {
		log.Warn("OPENGATE_KAFKA_BROKERS is not set: events stay in the outbox and no events are consumed")
	}
	if cfg.adminPassword != "" {
		srv.Task("bootstrap administrator", func(ctx context.Context) error {
			return bootstrap(ctx, svc, cfg.adminUser, cfg.adminPassword, func(msg string, attrs ...any) { cfg.Print(stdout, msg, attrs...) }, log)
		})
	}
	// The API sits behind token verification. Public login actions and the
	// internal API need no token; the verifier only adds a principal when one
	// is sent.
	// Admin calls are checked against the caller's current state: its user
	// here, the rest at the peers.
	guard := srv.AdminGuard(cfg.Config, boot.Own{Users: svc, Realms: realmGetter}, bus)
	verifier, redisReady, err := srv.Verifier(ctx, cfg.Config)
	if err != nil {
		return err
	}
	return srv.Serve(ctx, cfg.Listen(), stdout, boot.Routes{
		Metrics:  serviceName,
		Checks:   map[string]iamhttp.Check{"postgres": pool.Ping, "redis": redisReady},
		Verifier: verifier,
		Verified: usershttp.NewHandler(svc, usershttp.WithServiceToken(cfg.ServiceToken), usershttp.WithAdminGuard(guard),
			usershttp.WithClientIP(clientIP(cfg.proxies)),
			// A browser opening the account API's address goes to the
			// account pages (auth-service's, through the gateway).
			usershttp.WithAccountPages(cfg.IssuerBase)).Mount,
		Collectors: []prometheus.Collector{usersprom.HashQueue(svc)},
	})
}

// bootstrap creates the master realm's administrator, retrying while the
// realm service (or the master realm) is not there yet.
func bootstrap(ctx context.Context, svc *users.Service, username, password string, print func(msg string, attrs ...any), log *slog.Logger) error {
	wait := time.Second
	for {
		u, created, err := svc.EnsureAdmin(ctx, username, password)
		switch {
		case err == nil && created:
			print(fmt.Sprintf("user-service: created administrator %q (id %s) in realm master; grant it the admin role through rbac", u.Username, u.ID),
				"username", u.Username, "id", u.ID)
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

// clientIP reads the caller's address behind the trusted proxies (none:
// the connection's address).
func clientIP(proxies []netip.Prefix) func(*http.Request) string {
	if len(proxies) == 0 {
		return authhttp.RemoteIP
	}
	return authhttp.TrustForwardedFor(proxies...)
}
