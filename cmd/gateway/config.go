package main

import (
	"cmp"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/gateway"
)

// serviceName names the gateway in logs, metrics and consumer groups.
const serviceName = "gateway"

// binary is the gateway's shared settings; :8080 is its port in
// docs/architecture.md. It has no database.
var binary = boot.Binary{Name: serviceName, Addr: ":8080", NoDatabase: true,
	Instance: "this replica's name in its cache consumer groups"}

// config is what run reads from flags and the environment.
type config struct {
	boot.Config
	// Upstream base URLs by service name; "" (only from the routes file)
	// leaves an optional service's routes out.
	upstreams  map[string]string
	routesFile string // OPENGATE_GATEWAY_ROUTES
	proxies    []netip.Prefix
	origins    []string
	limits     gateway.Limits
	limitSync  time.Duration // OPENGATE_RATE_LIMIT_SYNC; 0: exact
	timeouts   gateway.Timeouts
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	shared, err := boot.Parse(binary, args, getenv, stderr)
	if err != nil {
		return config{}, err
	}
	c := config{Config: shared, routesFile: getenv("OPENGATE_GATEWAY_ROUTES")}
	if err := c.RequireIssuer(" (tokens are verified against its realms' issuers)"); err != nil {
		return config{}, err
	}
	if err := c.RequireRedis(" (logged-out tokens are refused by reading auth's revocation list there; rate limits are counted there)"); err != nil {
		return config{}, err
	}
	c.upstreams = map[string]string{
		"auth":    cmp.Or(getenv("OPENGATE_AUTH_URL"), "http://localhost:8081"),
		"realms":  c.Peers.Realms,
		"users":   c.Peers.Users,
		"rbac":    c.Peers.RBAC,
		"clients": c.Peers.Clients,
		"session": cmp.Or(getenv("OPENGATE_SESSION_URL"), "http://localhost:8087"),
		"mfa":     c.Peers.MFA,
		"notify":  c.Peers.Notify,
	}
	c.proxies = c.TrustedProxies // read by boot.Parse
	c.origins = boot.CORSOrigins(getenv)
	if c.limits, err = boot.RateLimits(getenv); err != nil {
		return config{}, err
	}
	if c.limitSync, err = boot.RateLimitSync(getenv); err != nil {
		return config{}, err
	}
	for _, d := range []struct {
		env string
		to  *time.Duration
	}{{"OPENGATE_UPSTREAM_CONNECT_TIMEOUT", &c.timeouts.Connect}, {"OPENGATE_UPSTREAM_TIMEOUT", &c.timeouts.Response}} {
		if v := getenv(d.env); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 || t > 10*time.Minute {
				return config{}, fmt.Errorf("%s: %q is not a duration between 0 and 10m", d.env, v)
			}
			*d.to = t
		}
	}
	return c, nil
}
