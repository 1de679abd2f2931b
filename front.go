package opengate

import (
	"cmp"
	"context"
	"net/http"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/gateway/gatewayredis"
	"github.com/opengate-iam/opengate/iam"
)

// newGateway returns the gateway chain Handler serves the API behind, as
// the gateway binary serves the microservices (docs/gateway.md): every
// route of gateway.DefaultRoutes, and any other path under /admin or
// /realms/{realm} (Fallback), reaches routes in process; /healthz,
// /readyz and /metrics are served unlimited. CORS allows cfg.CORSOrigins
// and each realm's and its clients' origins; rate limits apply when
// cfg.RateLimits is set, counted in Redis with cfg.Redis (shared by the
// replicas; synchronised every cfg.RateLimitSync, which Close stops), else
// in memory; cfg.Gateway's options come last.
func (s *Server) newGateway(cfg Config, routes http.Handler, observer gateway.Observer) (*gateway.Gateway, error) {
	local := func(name string) *gateway.Upstream { return gateway.Local(name, routes) }
	table, err := gateway.DefaultRoutes(gateway.Upstreams{
		Auth: local("auth"), Realms: local("realms"), Users: local("users"), RBAC: local("rbac"), Clients: local("clients"),
		Session: local("session"), MFA: local("mfa"), Notify: local("notify"), Fallback: local("opengate"),
	})
	if err != nil {
		return nil, err
	}
	opts := []gateway.Option{
		gateway.WithVerifier(s.Verifier),
		gateway.WithLogger(s.log),
		gateway.WithObserver(observer),
		gateway.WithTrustedProxies(cfg.TrustedProxies...),
		gateway.WithCORS(gateway.CORS{Origins: cfg.CORSOrigins, Source: gateway.ServiceOrigins(s.Realms, s.Clients)}),
	}
	if cfg.RateLimits != nil {
		var limiter gateway.Limiter = gateway.NewMemoryLimiter()
		if cfg.Redis != nil {
			l := gatewayredis.New(cfg.Redis, gatewayredis.WithPrefix(cmp.Or(cfg.RedisPrefix, "opengate:")+"ratelimit:"),
				gatewayredis.WithSync(cfg.RateLimitSync), gatewayredis.WithLogger(s.log))
			s.limiter, limiter = l, l
		}
		opts = append(opts, gateway.WithRateLimits(*cfg.RateLimits, limiter))
	}
	return gateway.New(append(table, gateway.HealthRoutes(routes)...), append(opts, cfg.Gateway...)...)
}

// gatewayOriginsGroup is the consumer group in which a process's gateway
// drops cached CORS origins (every process sees every event).
func (s *Server) gatewayOriginsGroup() string { return "opengate.gateway-origins." + s.instance }

// gatewayEvent drops the gateway's cached CORS origins of a changed realm
// or client.
func (s *Server) gatewayEvent(ctx context.Context, e iam.Event) error {
	if s.gateway == nil {
		return nil
	}
	return s.gateway.HandleEvent(ctx, e)
}
