package boot

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/netip"
	"os"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Binary names a microservice binary and the shared settings it takes.
type Binary struct {
	// Name is the binary's name ("realm-service"): its flag set's name and
	// the first word of the lines it prints.
	Name string
	// Addr is the default listen address, e.g. ":8083".
	Addr string
	// Instance, when set, gives the binary the -instance flag (default
	// OPENGATE_INSTANCE, else the host name) with this usage text, e.g.
	// "this replica's name in its cache consumer group".
	Instance string
	// Database is the binary's database name after the prefix ("rbac":
	// opengate_rbac), the same as the all-in-one's for the service.
	Database string
	// NoDatabase is set for a binary without a PostgreSQL database
	// (session-service, the gateway): OPENGATE_POSTGRES_URL is not read, and there is
	// no -migrate-only.
	NoDatabase bool
}

// Config holds the settings every microservice binary shares. Flags override
// the environment.
type Config struct {
	Addr string // -addr / OPENGATE_ADDR (default Binary.Addr)
	// ManagementAddr is -management-addr / OPENGATE_MANAGEMENT_ADDR: when
	// set, /metrics is served only there (with /healthz and /readyz), not
	// on Addr.
	ManagementAddr string
	MigrateOnly    bool // -migrate-only: migrate the database and exit
	// PprofAddr is OPENGATE_PPROF_ADDR (see PprofAddr): "" or where Go's
	// runtime profiles are served.
	PprofAddr string
	// PostgresURL is OPENGATE_POSTGRES_URL (required): the PostgreSQL
	// server's URL, as for the all-in-one; the binary's database is
	// DatabasePrefix + Binary.Database on it (see OpenPostgres).
	PostgresURL string
	// DatabasePrefix is OPENGATE_DATABASE_PREFIX (default "opengate_").
	DatabasePrefix string
	database       string // Binary.Database
	// IssuerBase is OPENGATE_ISSUER_BASE (see RequireIssuer) followed by
	// RelativePath unless it ends with it (iamhttp.JoinRelativePath): the
	// base of every issuer, {IssuerBase}/realms/{realm}.
	IssuerBase string
	// RelativePath is OPENGATE_HTTP_RELATIVE_PATH (Keycloak's
	// --http-relative-path, e.g. /auth for clients written for Keycloak
	// 16 and older), normalised by iamhttp.ParseRelativePath: the public
	// path of the API (see routing.Routes.RelativePath).
	RelativePath string
	// TrustedProxies is OPENGATE_TRUSTED_PROXIES (see TrustedProxies).
	TrustedProxies []netip.Prefix
	ServiceToken   string   // OPENGATE_SERVICE_TOKEN: secret of the internal APIs
	Brokers        []string // OPENGATE_KAFKA_BROKERS, comma-separated; none: no Kafka
	// Kafka is how the binary uses Kafka: Brokers, Instance (static group
	// membership) and OPENGATE_KAFKA_SESSION_TIMEOUT; Server.OpenKafka
	// takes it.
	Kafka KafkaConfig
	// RedisURL is OPENGATE_REDIS_URL: auth's Redis, where its revocation
	// list is (see RequireRedis).
	RedisURL string
	// RedisPrefix is OPENGATE_REDIS_PREFIX, the prefix of auth's keys
	// (default "opengate:").
	RedisPrefix string
	// Instance is -instance / OPENGATE_INSTANCE, else the host name, else
	// "default". It is empty for a Binary without Instance.
	Instance string
	// Peers are the other services' base URLs.
	Peers Peers
	// Logging is OPENGATE_LOG_FORMAT (default json) and
	// OPENGATE_LOG_LEVEL (default info).
	Logging Logging
}

// Peers are the base URLs of the services' internal APIs, which a binary
// calls with its ServiceToken: OPENGATE_REALMS_URL, OPENGATE_USERS_URL,
// OPENGATE_RBAC_URL, OPENGATE_CLIENTS_URL, OPENGATE_MFA_URL and
// OPENGATE_NOTIFY_URL, by default each service's port on localhost.
type Peers struct {
	Realms  string
	Users   string
	RBAC    string
	Clients string
	MFA     string
	Notify  string
}

// Parse reads b's shared settings from args and getenv; flag errors and
// -h output go to stderr. It fails when OPENGATE_POSTGRES_URL is not set
// (unless b.NoDatabase) and with the flag package's error (flag.ErrHelp for -h). The binary checks
// its own settings afterwards, RequireIssuer among them.
func Parse(b Binary, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet(b.Name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := getenv("OPENGATE_ADDR")
	if addr == "" {
		addr = b.Addr
	}
	c := Config{
		PostgresURL:    getenv("OPENGATE_POSTGRES_URL"),
		DatabasePrefix: cmp.Or(getenv("OPENGATE_DATABASE_PREFIX"), "opengate_"),
		database:       b.Database,
		IssuerBase:     getenv("OPENGATE_ISSUER_BASE"),
		ServiceToken:   getenv("OPENGATE_SERVICE_TOKEN"),
		Brokers:        SplitList(getenv("OPENGATE_KAFKA_BROKERS")),
		RedisURL:       getenv("OPENGATE_REDIS_URL"),
		RedisPrefix:    cmp.Or(getenv("OPENGATE_REDIS_PREFIX"), "opengate:"),
		Peers: Peers{
			Realms:  cmp.Or(getenv("OPENGATE_REALMS_URL"), "http://localhost:8083"),
			Users:   cmp.Or(getenv("OPENGATE_USERS_URL"), "http://localhost:8082"),
			RBAC:    cmp.Or(getenv("OPENGATE_RBAC_URL"), "http://localhost:8084"),
			Clients: cmp.Or(getenv("OPENGATE_CLIENTS_URL"), "http://localhost:8085"),
			MFA:     cmp.Or(getenv("OPENGATE_MFA_URL"), "http://localhost:8088"),
			Notify:  cmp.Or(getenv("OPENGATE_NOTIFY_URL"), "http://localhost:8086"),
		},
	}
	fs.StringVar(&c.Addr, "addr", addr, "listen address (OPENGATE_ADDR)")
	fs.StringVar(&c.ManagementAddr, "management-addr", getenv("OPENGATE_MANAGEMENT_ADDR"),
		"listen address of /metrics, /healthz and /readyz; when set, /metrics leaves the main address (OPENGATE_MANAGEMENT_ADDR)")
	if b.NoDatabase {
		c.PostgresURL, c.DatabasePrefix = "", ""
	} else {
		fs.BoolVar(&c.MigrateOnly, "migrate-only", false, "migrate the database and exit")
	}
	if b.Instance != "" {
		instance := getenv("OPENGATE_INSTANCE")
		if instance == "" {
			instance, _ = os.Hostname()
		}
		fs.StringVar(&c.Instance, "instance", instance, b.Instance+
			", and its static member name in every Kafka consumer group: stable across restarts, unique among replicas (OPENGATE_INSTANCE)")
	}
	if err := fs.Parse(args); err != nil {
		return Config{}, err
	}
	if c.PostgresURL == "" && !b.NoDatabase {
		return Config{}, errors.New("OPENGATE_POSTGRES_URL is required")
	}
	if b.Instance != "" && c.Instance == "" {
		c.Instance = "default"
	}
	k, err := ParseKafka(getenv, c.Brokers, c.Instance)
	if err != nil {
		return Config{}, err
	}
	c.Kafka = k
	if c.Logging, err = ParseLogging(getenv, "json"); err != nil {
		return Config{}, err
	}
	if c.PprofAddr, err = PprofAddr(getenv); err != nil {
		return Config{}, err
	}
	if c.RelativePath, err = RelativePath(getenv); err != nil {
		return Config{}, err
	}
	if c.IssuerBase != "" {
		c.IssuerBase = iamhttp.JoinRelativePath(c.IssuerBase, c.RelativePath)
	}
	if c.TrustedProxies, err = TrustedProxies(getenv); err != nil {
		return Config{}, err
	}
	return c, nil
}

// RelativePath reads OPENGATE_HTTP_RELATIVE_PATH (iamhttp.ParseRelativePath);
// the error names the variable.
func RelativePath(getenv func(string) string) (string, error) {
	p, err := iamhttp.ParseRelativePath(getenv("OPENGATE_HTTP_RELATIVE_PATH"))
	if err != nil {
		return "", fmt.Errorf("OPENGATE_HTTP_RELATIVE_PATH: %w", err)
	}
	return p, nil
}

// Listen returns the addresses Server.Serve listens on.
func (c Config) Listen() Listen {
	return Listen{Addr: c.Addr, Management: c.ManagementAddr, Pprof: c.PprofAddr, Logging: c.Logging,
		RelativePath: c.RelativePath, TrustedProxies: c.TrustedProxies}
}

// Logger returns the binary's logger on stderr in c.Logging's format and
// level: every record carries service=service.
func (c Config) Logger(stderr io.Writer, service string) *slog.Logger {
	return c.Logging.Logger(stderr, "service", service)
}

// Print writes a start-up line to stdout in c.Logging's format (see
// Logging.Print).
func (c Config) Print(stdout io.Writer, msg string, attrs ...any) {
	c.Logging.Print(stdout, msg, attrs...)
}

// RequireIssuer fails when OPENGATE_ISSUER_BASE is not set, with the error
// "OPENGATE_ISSUER_BASE is required" followed by why, e.g.
// " (admin calls are authorized by its tokens)".
func (c Config) RequireIssuer(why string) error {
	if c.IssuerBase == "" {
		return errors.New("OPENGATE_ISSUER_BASE is required" + why)
	}
	return nil
}

// SecretKey returns the deployment key OPENGATE_SECRET_KEY (32 bytes, base64
// or hex), or nil when it is not set. The error for a malformed key names the
// variable and never repeats the key.
func SecretKey(getenv func(string) string) ([]byte, error) {
	s := getenv("OPENGATE_SECRET_KEY")
	if s == "" {
		return nil, nil
	}
	key, err := iamcrypto.ParseKey(s)
	if err != nil {
		return nil, fmt.Errorf("OPENGATE_SECRET_KEY: %s", iam.ErrorMessage(err))
	}
	return key, nil
}

// RequireSecretKey is SecretKey for a binary that cannot run without the key:
// sealed says what is sealed with it ("client secrets"), for the error when it
// is not set.
func RequireSecretKey(getenv func(string) string, sealed string) ([]byte, error) {
	if getenv("OPENGATE_SECRET_KEY") == "" {
		return nil, fmt.Errorf("OPENGATE_SECRET_KEY is required: %s are sealed with it at rest (generate one with: openssl rand -base64 32)", sealed)
	}
	return SecretKey(getenv)
}

// PreviousSecretKey returns OPENGATE_SECRET_KEY_PREVIOUS, the deployment key
// being rotated away from (same format as OPENGATE_SECRET_KEY), or nil when
// it is not set. The error for a malformed key names the variable and never
// repeats the key.
func PreviousSecretKey(getenv func(string) string) ([]byte, error) {
	s := getenv("OPENGATE_SECRET_KEY_PREVIOUS")
	if s == "" {
		return nil, nil
	}
	key, err := iamcrypto.ParseKey(s)
	if err != nil {
		return nil, fmt.Errorf("OPENGATE_SECRET_KEY_PREVIOUS: %s", iam.ErrorMessage(err))
	}
	return key, nil
}

// SplitList splits a comma-separated setting, trimming spaces and dropping
// empty items; it returns nil for "".
func SplitList(s string) []string {
	var items []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// TrustedProxies reads OPENGATE_TRUSTED_PROXIES, a comma-separated list of
// CIDRs ("10.0.0.0/8, 192.168.1.10/32") of the reverse proxies whose
// X-Forwarded-For the OIDC endpoints believe; nil when it is not set. The
// error names the variable and the item that is not a CIDR.
func TrustedProxies(getenv func(string) string) ([]netip.Prefix, error) {
	var proxies []netip.Prefix
	for _, p := range SplitList(getenv("OPENGATE_TRUSTED_PROXIES")) {
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			return nil, fmt.Errorf("OPENGATE_TRUSTED_PROXIES: %q is not a CIDR", p)
		}
		proxies = append(proxies, prefix)
	}
	return proxies, nil
}

// RequireKafka fails when OPENGATE_KAFKA_BROKERS is not set: a
// microservice's events reach the other services only through Kafka, so
// without it a deployment would start and then misbehave in silence (the
// bootstrap administrator user-service creates would never get its admin
// role from rbac-service; a deleted user's roles and sessions would stay).
// Every microservice calls it unless -migrate-only; the gateway, whose
// Kafka only invalidates caches early, does not.
func (c Config) RequireKafka() error {
	if len(c.Brokers) == 0 {
		return errors.New("OPENGATE_KAFKA_BROKERS is required: the services' events cross processes only through Kafka " +
			"(without it, for example, user-service's bootstrap administrator never gets its admin role from rbac-service); " +
			"for one process without Kafka run the all-in-one opengate binary")
	}
	return nil
}

// LoginThemes reads OPENGATE_LOGIN_THEMES_DIR, the directory of login
// themes (one subdirectory per theme, chosen by a realm's loginTheme; see
// docs/login.md): nil when it is not set. The error names the variable
// when it is not a readable directory.
func LoginThemes(getenv func(string) string) (fs.FS, error) {
	dir := getenv("OPENGATE_LOGIN_THEMES_DIR")
	if dir == "" {
		return nil, nil
	}
	info, err := os.Stat(dir)
	if err != nil || !info.IsDir() {
		return nil, fmt.Errorf("OPENGATE_LOGIN_THEMES_DIR: %q is not a directory", dir)
	}
	return os.DirFS(dir), nil
}
