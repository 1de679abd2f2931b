package main

import (
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"net/netip"
	"os"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/notify"
)

// config is every setting of the all-in-one binary. Each flag defaults to its
// OPENGATE_* environment variable.
type config struct {
	Addr string // OPENGATE_ADDR
	// ManagementAddr (OPENGATE_MANAGEMENT_ADDR): when set, /metrics is
	// served there only, with /healthz and /readyz.
	ManagementAddr string
	// PprofAddr (OPENGATE_PPROF_ADDR): "" or where Go's runtime profiles
	// are served (boot.PprofAddr).
	PprofAddr    string
	RedisPrefix  string // OPENGATE_REDIS_PREFIX: prefix of every Redis key
	IssuerBase   string // OPENGATE_ISSUER_BASE, RelativePath appended
	RelativePath string // OPENGATE_HTTP_RELATIVE_PATH
	PostgresURL  string // OPENGATE_POSTGRES_URL
	RedisURL     string // OPENGATE_REDIS_URL
	KafkaBrokers []string
	// Kafka: the brokers, Instance (static group membership) and
	// OPENGATE_KAFKA_SESSION_TIMEOUT.
	Kafka             boot.KafkaConfig
	SecretKey         []byte         // OPENGATE_SECRET_KEY, decoded
	PreviousSecretKey []byte         // OPENGATE_SECRET_KEY_PREVIOUS, decoded: the key being rotated away from
	AdminUser         string         // OPENGATE_ADMIN_USER
	AdminPassword     string         // OPENGATE_ADMIN_PASSWORD
	LogFormat         string         // OPENGATE_LOG_FORMAT: text or json
	LogLevel          string         // OPENGATE_LOG_LEVEL: debug, info, warn or error
	Logging           boot.Logging   // LogFormat and LogLevel, parsed
	DBPrefix          string         // OPENGATE_DATABASE_PREFIX: service databases are <prefix>realms, ...
	Instance          string         // OPENGATE_INSTANCE: this replica's name in its consumer groups and on its mail claims
	Proxies           []netip.Prefix // OPENGATE_TRUSTED_PROXIES: reverse proxies whose X-Forwarded-For is believed
	Themes            iofs.FS        // OPENGATE_LOGIN_THEMES_DIR: login themes; nil for the built-in theme
	Origins           []string       // OPENGATE_CORS_ORIGINS: allowed cross-origin on every path
	Limits            gateway.Limits // OPENGATE_RATE_LIMIT, _LOGIN, _CLIENT: the gateway chain's rate limits
	LimitSync         time.Duration  // OPENGATE_RATE_LIMIT_SYNC: 0 exact, else the limits' synchronisation interval with Redis
	MigrateOnly       bool
	// MFALogCodes (OPENGATE_MFA_LOG_CODES, development only) writes email
	// codes to the log in clear.
	MFALogCodes bool
	// SMTP (OPENGATE_SMTP_*) is the mail server of realms without
	// smtpServer settings; nil: their mail is logged.
	SMTP *notify.Server
	// NotifyMaxAttempts (OPENGATE_NOTIFY_MAX_ATTEMPTS) is how many
	// attempts a mail gets.
	NotifyMaxAttempts int
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c config
	var brokers string
	fs := flag.NewFlagSet("opengate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: opengate [flags]          run OpenGate\n"+
			"       opengate export|import ...  move a realm (opengate export -h)\n\nflags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&c.Addr, "addr", env("OPENGATE_ADDR", ":8080"), "listen address (OPENGATE_ADDR)")
	fs.StringVar(&c.ManagementAddr, "management-addr", env("OPENGATE_MANAGEMENT_ADDR", ""),
		"listen address of /metrics, /healthz and /readyz; when set, /metrics leaves the main address (OPENGATE_MANAGEMENT_ADDR)")
	fs.StringVar(&c.RedisPrefix, "redis-prefix", env("OPENGATE_REDIS_PREFIX", "opengate:"), "prefix of every Redis key (OPENGATE_REDIS_PREFIX)")
	fs.StringVar(&c.IssuerBase, "issuer-base", env("OPENGATE_ISSUER_BASE", ""), "public base URL of token issuers; default http://localhost:<port>; the relative path is appended unless it ends with it (OPENGATE_ISSUER_BASE)")
	fs.StringVar(&c.RelativePath, "http-relative-path", env("OPENGATE_HTTP_RELATIVE_PATH", ""), "path the API is served under, as Keycloak's --http-relative-path: /auth for clients written for Keycloak 16 and older (OPENGATE_HTTP_RELATIVE_PATH)")
	fs.StringVar(&c.PostgresURL, "postgres-url", env("OPENGATE_POSTGRES_URL", ""), "PostgreSQL server URL; empty keeps data in memory (OPENGATE_POSTGRES_URL)")
	fs.StringVar(&c.RedisURL, "redis-url", env("OPENGATE_REDIS_URL", ""), "Redis URL for ephemeral state; empty keeps it in memory (OPENGATE_REDIS_URL)")
	fs.StringVar(&brokers, "kafka-brokers", env("OPENGATE_KAFKA_BROKERS", ""), "comma-separated Kafka seed brokers; empty uses the in-process bus (OPENGATE_KAFKA_BROKERS)")
	fs.StringVar(&c.AdminUser, "admin-user", env("OPENGATE_ADMIN_USER", "admin"), "bootstrap administrator of the master realm (OPENGATE_ADMIN_USER)")
	fs.StringVar(&c.LogFormat, "log-format", env("OPENGATE_LOG_FORMAT", "text"), "log format: text or json; json makes every line on stdout and stderr JSON (OPENGATE_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", env("OPENGATE_LOG_LEVEL", "info"), "least level logged: debug, info, warn or error (OPENGATE_LOG_LEVEL)")
	fs.StringVar(&c.DBPrefix, "database-prefix", env("OPENGATE_DATABASE_PREFIX", "opengate_"), "prefix of the per-service database names (OPENGATE_DATABASE_PREFIX)")
	instance := env("OPENGATE_INSTANCE", "")
	if instance == "" {
		instance, _ = os.Hostname()
	}
	fs.StringVar(&c.Instance, "instance", instance, "this replica's name in its Kafka consumer groups (its static member id and its cache-invalidation groups) and on the mail deliveries it claims (a restart under it sends them at once); stable across restarts, unique among replicas (OPENGATE_INSTANCE; default the host name)")
	fs.BoolVar(&c.MigrateOnly, "migrate-only", false, "apply database migrations and exit")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	// Secrets come only from the environment, never from flags (which show
	// up in process listings).
	key, err := boot.SecretKey(getenv)
	if err != nil {
		return config{}, err
	}
	c.SecretKey = key
	if c.PreviousSecretKey, err = boot.PreviousSecretKey(getenv); err != nil {
		return config{}, err
	}
	if c.Proxies, err = boot.TrustedProxies(getenv); err != nil {
		return config{}, err
	}
	if c.RelativePath, err = iamhttp.ParseRelativePath(c.RelativePath); err != nil {
		return config{}, fmt.Errorf("OPENGATE_HTTP_RELATIVE_PATH: %w", err)
	}
	if c.IssuerBase != "" {
		c.IssuerBase = iamhttp.JoinRelativePath(c.IssuerBase, c.RelativePath)
	}
	if c.Themes, err = boot.LoginThemes(getenv); err != nil {
		return config{}, err
	}
	if c.MFALogCodes, err = boot.MFALogCodes(getenv); err != nil {
		return config{}, err
	}
	c.Origins = boot.CORSOrigins(getenv)
	if c.SMTP, err = boot.SMTP(getenv); err != nil {
		return config{}, err
	}
	if c.NotifyMaxAttempts, err = boot.NotifyMaxAttempts(getenv); err != nil {
		return config{}, err
	}
	if c.Limits, err = boot.RateLimits(getenv); err != nil {
		return config{}, err
	}
	if c.LimitSync, err = boot.RateLimitSync(getenv); err != nil {
		return config{}, err
	}
	if c.PprofAddr, err = boot.PprofAddr(getenv); err != nil {
		return config{}, err
	}
	c.AdminPassword = getenv("OPENGATE_ADMIN_PASSWORD")
	c.KafkaBrokers = boot.SplitList(brokers)
	if c.Instance == "" {
		c.Instance = "default"
	}
	if c.Kafka, err = boot.ParseKafka(getenv, c.KafkaBrokers, c.Instance); err != nil {
		return config{}, err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return config{}, fmt.Errorf("log format must be text or json, not %q", c.LogFormat)
	}
	c.Logging.JSON = c.LogFormat == "json"
	if c.Logging.Level, err = boot.ParseLogLevel(c.LogLevel); err != nil {
		return config{}, err
	}
	if c.MigrateOnly && c.PostgresURL == "" {
		return config{}, fmt.Errorf("-migrate-only needs OPENGATE_POSTGRES_URL")
	}
	if c.PostgresURL != "" && c.SecretKey == nil {
		return config{}, fmt.Errorf("OPENGATE_SECRET_KEY is required with OPENGATE_POSTGRES_URL: secrets at rest are encrypted with it (generate one with: openssl rand -base64 32)")
	}
	return c, nil
}
