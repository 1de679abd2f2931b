package opengate

import (
	"io/fs"
	"log/slog"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/rueidis"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/auth/authui"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/users"
)

// Config is everything New needs. Only IssuerBase is required: the zero
// value of every other field is the embedded default (memory stores, memory
// ephemeral state, an in-process event bus, no administrator). Adding a
// service to OpenGate adds fields here whose zero value keeps the earlier
// behaviour.
type Config struct {
	// IssuerBase is the public base URL clients reach OpenGate at, e.g.
	// "https://id.example.com": the issuer of realm r is
	// IssuerBase/realms/r. Required; never derived from requests. With a
	// RelativePath, it ends with it ("https://id.example.com/auth").
	IssuerBase string

	// RelativePath, "" or as "/auth" (iamhttp.ParseRelativePath's form), is
	// the path Handler serves the API under, as Keycloak's
	// --http-relative-path (/auth for clients written for Keycloak 16 and
	// older): requests outside it are 404, except /healthz, /readyz and
	// /metrics; the routes, Mount and chi.Walk see paths without it.
	RelativePath string

	// Databases holds one PostgreSQL pool per service (OpenDatabases opens
	// them). Nil keeps every service's data in memory, for this process
	// only. New migrates the databases; the caller keeps owning the pools.
	Databases *Databases

	// SecretKey is the 32-byte deployment key (OPENGATE_SECRET_KEY) that
	// seals secrets at rest (client secrets, signing keys, SMTP passwords)
	// and, under a subkey of its own, the action links in events (see
	// users.LinkPurpose). Required with Databases, and the same for every
	// replica: each database records the key at first start, and New
	// refuses a key that does not match it (ErrSecretKeyMismatch). Without
	// Databases it may be nil: memory stores keep nothing at rest, and
	// action links are sealed under a random key of the process.
	SecretKey []byte
	// PreviousSecretKey, during a rotation of the deployment key
	// (OPENGATE_SECRET_KEY_PREVIOUS), is the key being replaced: secrets
	// sealed under it stay readable and are re-sealed under SecretKey when
	// next written. Nil when not rotating.
	PreviousSecretKey []byte

	// Redis holds ephemeral state (authorization codes, refresh tokens,
	// revocations, login-failure counters, sessions), under the key prefix
	// RedisPrefix (default "opengate:"). Nil keeps it in memory. The caller
	// keeps owning the client.
	Redis       rueidis.Client
	RedisPrefix string

	// Publisher and Subscriber are the event bus (iamkafka in production),
	// both or neither. Nil means an in-process bus on which every consumer
	// group is declared before anything publishes, so no event of the
	// start-up is lost. Subscriber's new consumer groups must start at the
	// earliest retained event: consumers must see every event.
	Publisher  iam.Publisher
	Subscriber iam.Subscriber

	// CacheSubscriber, with an external bus, runs this replica's cache
	// invalidation (realms, clients, effective roles) in consumer groups of
	// its own named after Instance, so a change made through another
	// replica sharing the databases is seen here at once rather than when
	// the cache expires. Its new groups should start at the end of their
	// topics. Nil: no cross-replica invalidation (a single process needs
	// none: its own changes invalidate its caches).
	CacheSubscriber iam.Subscriber
	// Instance names this replica in its cache consumer groups (default
	// "default") and on the mail deliveries its notify worker claims (none
	// when empty), so that a restart under the same name sends at once
	// what the dead process had claimed (notify.WithInstance). Each live
	// replica needs its own, stable across restarts.
	Instance string

	// Admin, when set, is the bootstrap administrator New makes sure
	// exists in the master realm, with the admin role while no other user
	// of master holds it (so a user who later takes the username gets
	// nothing). Nil creates none (the master realm, its admin-cli client
	// and its roles are created either way).
	Admin *Admin

	// TrustedProxies are the reverse proxies whose X-Forwarded-For the
	// OIDC endpoints believe when they need the client's address (per-IP
	// brute-force counting), and whose X-Forwarded-Proto, X-Forwarded-Host
	// and Forwarded name the scheme and host of absolute Location headers
	// (iamhttp.BaseURL). Empty: the connection's address is the client's,
	// its Host the host, and forwarded headers are ignored.
	TrustedProxies []netip.Prefix

	// CORSOrigins are allowed cross-origin on every path
	// ("https://console.example.com"), besides each realm's corsOrigins and
	// its clients' webOrigins, which are always allowed on the realm's
	// paths (docs/gateway.md).
	CORSOrigins []string
	// RateLimits, when set, limits request rates at the gateway chain
	// Handler serves behind (gateway.DefaultLimits are the binaries'
	// defaults), counted in Redis when Redis is set (shared by replicas),
	// else in memory. Nil: no rate limits — behind another proxy, set
	// TrustedProxies first, or every client is the proxy's address.
	RateLimits *gateway.Limits
	// RateLimitSync, with RateLimits and Redis, is how often this process
	// synchronises its rate-limit counts with Redis, admitting requests
	// from memory meanwhile (gatewayredis.WithSync; the binary's default is
	// gatewayredis.DefaultSyncInterval): no round trip on a request's path,
	// and the limits hold across replicas within the bound docs/gateway.md
	// gives. Zero counts every request in Redis (one round trip each):
	// exact.
	RateLimitSync time.Duration
	// Gateway are further options of that chain, applied last: policies
	// (gateway.RequireRole), your middleware (gateway.WithMiddleware),
	// timeouts.
	Gateway []gateway.Option
	// LoginThemes is a directory of login themes: a realm whose loginTheme
	// is name has its login and account pages rendered with
	// name/templates/*.html and name/resources/* of it, each file
	// replacing the built-in theme's (docs/login.md). Nil: the built-in
	// theme only.
	LoginThemes fs.FS

	// SeparateManagement keeps /metrics off Handler: serve
	// Server.ManagementHandler on a listener of its own (Keycloak's
	// management port), so the public entry does not expose the process's
	// internals.
	SeparateManagement bool

	// Metrics are more Prometheus collectors served on /metrics beside
	// OpenGate's own (which include the outboxes' backlog and relays): the
	// Kafka consumers' lag and dead letters (iammetrics.Consumers, given to
	// the iamkafka.Subscriber with WithObserver), or your own.
	Metrics []prometheus.Collector

	// SMTP is the mail server of realms without smtpServer settings
	// (OPENGATE_SMTP_*). Nil: their mail is written to Logger instead
	// (notify.LogTransport), links included — for development only.
	SMTP *notify.Server

	// Logger receives the services' and background tasks' logs and the
	// request log (default slog.Default()).
	Logger *slog.Logger

	// Options are extra options of each service, applied after New's own.
	Options Options
}

// Admin is the bootstrap administrator of the master realm.
type Admin struct {
	// Username defaults to "admin".
	Username string
	// Password is set only when New creates the user; an existing
	// administrator keeps theirs. Empty: New generates one and reports it
	// once through Server.GeneratedAdminPassword.
	Password string
}

// Options are per-service options, applied after those New sets itself
// (realm-scoped logging, the public URL, the effective-roles cache, the
// event publisher), so they can override them.
type Options struct {
	Realms   []realms.Option
	Clients  []clients.Option
	Users    []users.Option
	RBAC     []rbac.Option
	Auth     []auth.Option
	AuthHTTP []authhttp.Option
	// AuthUI are the browser sign-in's options (the login and account
	// pages).
	AuthUI   []authui.Option
	Sessions []session.Option
	// MFA's options; mfa.WithSender delivers email codes (default: the
	// notify service).
	MFA []mfa.Option
	// Notify's options (notify.WithRetry, notify.WithTransport, ...).
	Notify []notify.Option
}
