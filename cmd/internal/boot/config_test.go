package boot_test

import (
	"errors"
	"flag"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

var withInstance = boot.Binary{Name: "test-service", Addr: ":9999", Instance: "this replica's name"}

func TestParse(t *testing.T) {
	host, _ := os.Hostname()
	if host == "" {
		host = "default"
	}
	pg := map[string]string{"OPENGATE_POSTGRES_URL": "postgres://db"}
	tests := []struct {
		name string
		bin  boot.Binary
		args []string
		env  map[string]string
		want boot.Config
	}{
		{"Defaults", withInstance, nil, pg,
			boot.Config{Addr: ":9999", PostgresURL: "postgres://db", Instance: host}},
		{"Environment", withInstance, nil, map[string]string{
			"OPENGATE_POSTGRES_URL": "postgres://db", "OPENGATE_ADDR": ":1", "OPENGATE_ISSUER_BASE": "http://iss",
			"OPENGATE_SERVICE_TOKEN": "tok", "OPENGATE_KAFKA_BROKERS": " k1:9092, ,k2:9092 ", "OPENGATE_INSTANCE": "a",
		}, boot.Config{Addr: ":1", PostgresURL: "postgres://db", IssuerBase: "http://iss", ServiceToken: "tok",
			Brokers: []string{"k1:9092", "k2:9092"}, Instance: "a"}},
		{"FlagsOverrideEnvironment", withInstance, []string{"-addr", ":2", "-instance", "b", "-migrate-only"},
			map[string]string{"OPENGATE_POSTGRES_URL": "postgres://db", "OPENGATE_ADDR": ":1", "OPENGATE_INSTANCE": "a"},
			boot.Config{Addr: ":2", MigrateOnly: true, PostgresURL: "postgres://db", Instance: "b"}},
		{"EmptyInstanceIsDefault", withInstance, []string{"-instance", ""}, pg,
			boot.Config{Addr: ":9999", PostgresURL: "postgres://db", Instance: "default"}},
		{"NoInstanceSetting", boot.Binary{Name: "test-service", Addr: ":9999"}, nil,
			map[string]string{"OPENGATE_POSTGRES_URL": "postgres://db", "OPENGATE_INSTANCE": "a"},
			boot.Config{Addr: ":9999", PostgresURL: "postgres://db"}},
		{"NoDatabaseIgnoresPostgres", boot.Binary{Name: "test-service", Addr: ":9999", NoDatabase: true}, nil,
			map[string]string{"OPENGATE_POSTGRES_URL": "postgres://db"}, boot.Config{Addr: ":9999"}},
		{"NoDatabaseNeedsNoPostgres", boot.Binary{Name: "test-service", Addr: ":9999", NoDatabase: true}, nil, nil,
			boot.Config{Addr: ":9999"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := boot.Parse(tt.bin, tt.args, env(tt.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if got.Addr != tt.want.Addr || got.MigrateOnly != tt.want.MigrateOnly || got.PostgresURL != tt.want.PostgresURL ||
				got.IssuerBase != tt.want.IssuerBase || got.ServiceToken != tt.want.ServiceToken ||
				!slices.Equal(got.Brokers, tt.want.Brokers) || got.Instance != tt.want.Instance {
				t.Fatalf("Parse = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Run("NoPostgres", func(t *testing.T) {
		_, err := boot.Parse(withInstance, nil, env(nil), io.Discard)
		if err == nil || err.Error() != "OPENGATE_POSTGRES_URL is required" {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("UnknownFlag", func(t *testing.T) {
		var out strings.Builder
		_, err := boot.Parse(withInstance, []string{"-nope"}, env(map[string]string{"OPENGATE_POSTGRES_URL": "postgres://db"}), &out)
		if err == nil || !strings.Contains(out.String(), "-nope") {
			t.Fatalf("err = %v, output %q", err, out.String())
		}
	})
	t.Run("NoMigrateOnlyWithoutADatabase", func(t *testing.T) {
		_, err := boot.Parse(boot.Binary{Name: "x", NoDatabase: true}, []string{"-migrate-only"}, env(nil), io.Discard)
		if err == nil {
			t.Fatal("-migrate-only accepted by a binary without a database")
		}
	})
	t.Run("NoInstanceFlag", func(t *testing.T) {
		_, err := boot.Parse(boot.Binary{Name: "x"}, []string{"-instance", "a"}, env(map[string]string{"OPENGATE_POSTGRES_URL": "postgres://db"}), io.Discard)
		if err == nil {
			t.Fatal("-instance accepted by a binary without it")
		}
	})
	t.Run("Help", func(t *testing.T) {
		var out strings.Builder
		_, err := boot.Parse(withInstance, []string{"-h"}, env(nil), &out)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "this replica's name, and its static member name in every Kafka consumer group") {
			t.Fatalf("err = %v, output %q", err, out.String())
		}
	})
}

func TestRequireIssuer(t *testing.T) {
	if err := (boot.Config{IssuerBase: "http://iss"}).RequireIssuer(" (why)"); err != nil {
		t.Fatal(err)
	}
	err := boot.Config{}.RequireIssuer(" (admin calls are authorized by its tokens)")
	if err == nil || err.Error() != "OPENGATE_ISSUER_BASE is required (admin calls are authorized by its tokens)" {
		t.Fatalf("err = %v", err)
	}
}

func TestSecretKey(t *testing.T) {
	raw := iamcrypto.GenerateKey()
	good := map[string]string{"OPENGATE_SECRET_KEY": iamcrypto.EncodeKey(raw)}
	bad := map[string]string{"OPENGATE_SECRET_KEY": "too-short"}
	t.Run("Optional", func(t *testing.T) {
		if key, err := boot.SecretKey(env(nil)); key != nil || err != nil {
			t.Fatalf("unset = %v, %v", key, err)
		}
		if key, err := boot.SecretKey(env(good)); err != nil || string(key) != string(raw) {
			t.Fatalf("set = %v, %v", key, err)
		}
	})
	t.Run("Required", func(t *testing.T) {
		_, err := boot.RequireSecretKey(env(nil), "client secrets")
		want := "OPENGATE_SECRET_KEY is required: client secrets are sealed with it at rest (generate one with: openssl rand -base64 32)"
		if err == nil || err.Error() != want {
			t.Fatalf("unset: %v", err)
		}
		if key, err := boot.RequireSecretKey(env(good), "client secrets"); err != nil || string(key) != string(raw) {
			t.Fatalf("set = %v, %v", key, err)
		}
	})
	for name, parse := range map[string]func(func(string) string) ([]byte, error){
		"OptionalMalformed": boot.SecretKey,
		"RequiredMalformed": func(g func(string) string) ([]byte, error) { return boot.RequireSecretKey(g, "x") },
	} {
		t.Run(name, func(t *testing.T) {
			_, err := parse(env(bad))
			if err == nil || !strings.HasPrefix(err.Error(), "OPENGATE_SECRET_KEY: ") {
				t.Fatalf("err = %v", err)
			}
			if strings.Contains(err.Error(), "too-short") {
				t.Fatalf("error repeats the key: %v", err)
			}
		})
	}
}

func TestPreviousSecretKey(t *testing.T) {
	raw := iamcrypto.GenerateKey()
	if key, err := boot.PreviousSecretKey(env(nil)); key != nil || err != nil {
		t.Fatalf("unset = %v, %v", key, err)
	}
	if key, err := boot.PreviousSecretKey(env(map[string]string{"OPENGATE_SECRET_KEY_PREVIOUS": iamcrypto.EncodeKey(raw)})); err != nil || string(key) != string(raw) {
		t.Fatalf("set = %v, %v", key, err)
	}
	_, err := boot.PreviousSecretKey(env(map[string]string{"OPENGATE_SECRET_KEY_PREVIOUS": "too-short"}))
	if err == nil || !strings.HasPrefix(err.Error(), "OPENGATE_SECRET_KEY_PREVIOUS: ") || strings.Contains(err.Error(), "too-short") {
		t.Fatalf("malformed: err = %v", err)
	}
}

func TestSplitList(t *testing.T) {
	tests := map[string][]string{
		"":            nil,
		" , ,":        nil,
		"a":           {"a"},
		" a , b ,,c ": {"a", "b", "c"},
	}
	for in, want := range tests {
		if got := boot.SplitList(in); !slices.Equal(got, want) || (want == nil && got != nil) {
			t.Errorf("SplitList(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	t.Run("Unset", func(t *testing.T) {
		if got, err := boot.TrustedProxies(env(nil)); got != nil || err != nil {
			t.Fatalf("unset = %v, %v", got, err)
		}
	})
	t.Run("List", func(t *testing.T) {
		got, err := boot.TrustedProxies(env(map[string]string{"OPENGATE_TRUSTED_PROXIES": " 10.0.0.0/8, ,::1/128 "}))
		want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("got %v, %v; want %v", got, err, want)
		}
	})
	t.Run("NotACIDR", func(t *testing.T) {
		_, err := boot.TrustedProxies(env(map[string]string{"OPENGATE_TRUSTED_PROXIES": "10.0.0.0/8,10.0.0.1"}))
		if err == nil || err.Error() != `OPENGATE_TRUSTED_PROXIES: "10.0.0.1" is not a CIDR` {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestParseKafka(t *testing.T) {
	brokers := []string{"k1:9092"}
	t.Run("Defaults", func(t *testing.T) {
		got, err := boot.ParseKafka(env(nil), brokers, "host-1")
		if err != nil || got.SessionTimeout != 0 || got.Instance != "host-1" || !slices.Equal(got.Brokers, brokers) {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("SessionTimeout", func(t *testing.T) {
		got, err := boot.ParseKafka(env(map[string]string{"OPENGATE_KAFKA_SESSION_TIMEOUT": "20s"}), brokers, "host-1")
		if err != nil || got.SessionTimeout != 20*time.Second {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	for _, bad := range []string{"soon", "500ms", "-5s"} {
		t.Run("Refuses"+bad, func(t *testing.T) {
			_, err := boot.ParseKafka(env(map[string]string{"OPENGATE_KAFKA_SESSION_TIMEOUT": bad}), brokers, "h")
			if err == nil || !strings.HasPrefix(err.Error(), "OPENGATE_KAFKA_SESSION_TIMEOUT: ") {
				t.Fatalf("err = %v", err)
			}
		})
	}
	t.Run("ParseFillsConfigKafka", func(t *testing.T) {
		got, err := boot.Parse(withInstance, []string{"-instance", "pod-0"}, env(map[string]string{
			"OPENGATE_POSTGRES_URL": "postgres://db", "OPENGATE_KAFKA_BROKERS": "k1:9092",
			"OPENGATE_KAFKA_SESSION_TIMEOUT": "15s",
		}), io.Discard)
		if err != nil || got.Kafka.Instance != "pod-0" || got.Kafka.SessionTimeout != 15*time.Second || !slices.Equal(got.Kafka.Brokers, brokers) {
			t.Fatalf("got %+v, %v", got.Kafka, err)
		}
	})
}

func TestParseKafkaTopicSettings(t *testing.T) {
	got, err := boot.ParseKafka(env(map[string]string{
		"OPENGATE_KAFKA_TOPIC_PARTITIONS": "6", "OPENGATE_KAFKA_REPLICATION_FACTOR": "3", "OPENGATE_KAFKA_MIN_INSYNC_REPLICAS": "2",
	}), nil, "h")
	if err != nil || got.Topics.Partitions != 6 || got.Topics.ReplicationFactor != 3 ||
		got.Topics.Configs["min.insync.replicas"] == nil || *got.Topics.Configs["min.insync.replicas"] != "2" {
		t.Fatalf("got %+v, %v", got.Topics, err)
	}
	if got, err := boot.ParseKafka(env(nil), nil, "h"); err != nil || got.Topics.Partitions != 0 || got.Topics.Configs != nil {
		t.Fatalf("unset: got %+v, %v; want the brokers' defaults", got.Topics, err)
	}
	for name, bad := range map[string]string{
		"OPENGATE_KAFKA_TOPIC_PARTITIONS": "0", "OPENGATE_KAFKA_REPLICATION_FACTOR": "three", "OPENGATE_KAFKA_MIN_INSYNC_REPLICAS": "-1",
	} {
		_, err := boot.ParseKafka(env(map[string]string{name: bad}), nil, "h")
		if err == nil || !strings.HasPrefix(err.Error(), name+": ") {
			t.Errorf("%s=%s: err = %v", name, bad, err)
		}
	}
}

func TestLoginThemes(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "acme", "resources"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "acme", "resources", "login.css"), []byte("body{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	themes := func(v string) func(string) string { return env(map[string]string{"OPENGATE_LOGIN_THEMES_DIR": v}) }
	if got, err := boot.LoginThemes(themes("")); got != nil || err != nil {
		t.Fatalf("unset: %v, %v", got, err)
	}
	got, err := boot.LoginThemes(themes(dir))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := fs.ReadFile(got, "acme/resources/login.css"); err != nil || string(b) != "body{}" {
		t.Fatalf("a theme's file: %q, %v", b, err)
	}
	for _, bad := range []string{filepath.Join(dir, "missing"), filepath.Join(dir, "acme", "resources", "login.css")} {
		if _, err := boot.LoginThemes(themes(bad)); err == nil || !strings.Contains(err.Error(), "OPENGATE_LOGIN_THEMES_DIR") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestPprofAddr(t *testing.T) {
	for name, tt := range map[string]struct {
		value, want string
		fails       bool
	}{
		"UnsetServesNone":           {value: "", want: ""},
		"APortIsOnLoopback":         {value: "6060", want: "127.0.0.1:6060"},
		"AColonPortIsOnLoopback":    {value: ":6060", want: "127.0.0.1:6060"},
		"AnExplicitHostIsKept":      {value: "[::1]:6060", want: "[::1]:6060"},
		"ANamedHostIsKept":          {value: "localhost:6060", want: "localhost:6060"},
		"APortOutOfRangeIsRefused":  {value: "70000", fails: true},
		"AHostWithoutPortIsRefused": {value: "localhost", fails: true},
		"ABadPortIsRefused":         {value: "localhost:http", fails: true},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := boot.PprofAddr(func(n string) string {
				if n == "OPENGATE_PPROF_ADDR" {
					return tt.value
				}
				return ""
			})
			if tt.fails {
				if err == nil || !strings.Contains(err.Error(), "OPENGATE_PPROF_ADDR") {
					t.Fatalf("PprofAddr(%q) = %q, %v; want an error naming the variable", tt.value, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("PprofAddr(%q) = %q, %v; want %q", tt.value, got, err, tt.want)
			}
		})
	}
}

// OPENGATE_HTTP_RELATIVE_PATH is normalised and appended to the issuer
// base (unless the base ends with it); every binary reads the trusted
// proxies for its public URLs.
func TestParseRelativePathAndTrustedProxies(t *testing.T) {
	base := map[string]string{"OPENGATE_POSTGRES_URL": "postgres://db", "OPENGATE_ISSUER_BASE": "https://id.example.com"}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name       string
		env        map[string]string
		issuer     string
		relative   string
		listenPath string
		err        string
	}{
		{"None", base, "https://id.example.com", "", "", ""},
		{"Appended", with("OPENGATE_HTTP_RELATIVE_PATH", "/auth/"), "https://id.example.com/auth", "/auth", "/auth", ""},
		{"AlreadyInTheBase", with("OPENGATE_HTTP_RELATIVE_PATH", "/auth", "OPENGATE_ISSUER_BASE", "https://id.example.com/auth/"),
			"https://id.example.com/auth", "/auth", "/auth", ""},
		{"Root", with("OPENGATE_HTTP_RELATIVE_PATH", "/"), "https://id.example.com", "", "", ""},
		{"NotAPath", with("OPENGATE_HTTP_RELATIVE_PATH", "auth"), "", "", "", "OPENGATE_HTTP_RELATIVE_PATH"},
		{"BadProxies", with("OPENGATE_TRUSTED_PROXIES", "10.0.0.0/8, gateway"), "", "", "", "OPENGATE_TRUSTED_PROXIES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := boot.Parse(withInstance, nil, env(tt.env), io.Discard)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one naming %s", err, tt.err)
				}
				return
			}
			if err != nil || c.IssuerBase != tt.issuer || c.RelativePath != tt.relative || c.Listen().RelativePath != tt.listenPath {
				t.Fatalf("Parse = %q, %q, %v; want %q, %q", c.IssuerBase, c.RelativePath, err, tt.issuer, tt.relative)
			}
		})
	}
	c, err := boot.Parse(withInstance, nil, env(with("OPENGATE_TRUSTED_PROXIES", "10.0.0.0/8")), io.Discard)
	if err != nil || len(c.TrustedProxies) != 1 || c.TrustedProxies[0] != netip.MustParsePrefix("10.0.0.0/8") ||
		len(c.Listen().TrustedProxies) != 1 {
		t.Fatalf("trusted proxies = %v, %v", c.TrustedProxies, err)
	}
}
