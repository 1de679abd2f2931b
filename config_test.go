package opengate_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/iam/iambus"
)

// New refuses a Config it cannot run with an error naming the setting, before
// touching a database or the bus.
func TestNewRefusesAnUnusableConfig(t *testing.T) {
	bus := iambus.New()
	t.Cleanup(func() { _ = bus.Close() })
	pool := &pgxpool.Pool{} // never used: New refuses the Config first
	all := &opengate.Databases{Realms: pool, Clients: pool, Users: pool, RBAC: pool, Auth: pool, MFA: pool, Notifications: pool}
	tests := []struct {
		name string
		cfg  opengate.Config
		want string
	}{
		{"NoIssuerBase", opengate.Config{}, "Config.IssuerBase is required"},
		{"IssuerBaseNotAnAbsoluteURL", opengate.Config{IssuerBase: "id.example.com"}, "Config.IssuerBase"},
		{"PublisherWithoutSubscriber", opengate.Config{IssuerBase: "http://id.test", Publisher: bus}, "both Config.Publisher and Config.Subscriber"},
		{"SubscriberWithoutPublisher", opengate.Config{IssuerBase: "http://id.test", Subscriber: bus}, "both Config.Publisher and Config.Subscriber"},
		{"CacheSubscriberWithoutBus", opengate.Config{IssuerBase: "http://id.test", CacheSubscriber: bus}, "Config.CacheSubscriber needs an external bus"},
		{"DatabasesWithoutAPool", opengate.Config{IssuerBase: "http://id.test", SecretKey: make([]byte, 32),
			Databases: &opengate.Databases{Realms: pool, Clients: pool, Users: pool, RBAC: pool}}, "Databases has no auth pool"},
		{"DatabasesWithoutTheMFAPool", opengate.Config{IssuerBase: "http://id.test", SecretKey: make([]byte, 32),
			Databases: &opengate.Databases{Realms: pool, Clients: pool, Users: pool, RBAC: pool, Auth: pool}}, "Databases has no mfa pool"},
		{"DatabasesWithoutTheNotificationsPool", opengate.Config{IssuerBase: "http://id.test", SecretKey: make([]byte, 32),
			Databases: &opengate.Databases{Realms: pool, Clients: pool, Users: pool, RBAC: pool, Auth: pool, MFA: pool}}, "Databases has no notifications pool"},
		{"DatabasesWithoutSecretKey", opengate.Config{IssuerBase: "http://id.test", Databases: all}, "Config.SecretKey is required with Databases"},
		{"MalformedSecretKey", opengate.Config{IssuerBase: "http://id.test", SecretKey: []byte("s3cr3t-k3y")}, "Config.SecretKey"},
		{"MalformedRelativePath", opengate.Config{IssuerBase: "http://id.test/auth", RelativePath: "auth"}, "Config.RelativePath"},
		{"RelativePathWithATrailingSlash", opengate.Config{IssuerBase: "http://id.test/auth", RelativePath: "/auth/"}, "Config.RelativePath"},
		{"IssuerBaseWithoutTheRelativePath", opengate.Config{IssuerBase: "http://id.test", RelativePath: "/auth"}, "does not end with Config.RelativePath"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Logger = slog.New(slog.DiscardHandler)
			srv, err := opengate.New(context.Background(), tt.cfg)
			if err == nil {
				srv.Close()
				t.Fatal("New accepted the Config")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want an error about %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "s3cr3t") {
				t.Fatalf("the error repeats the key: %v", err)
			}
		})
	}
}
