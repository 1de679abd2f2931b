package main

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/clients/clientshttp"
	"github.com/opengate-iam/opengate/cmd/internal/boot"
	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/gateway/gatewayprom"
	"github.com/opengate-iam/opengate/gateway/gatewayredis"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/realms/realmshttp"
)

// run serves the gateway until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	routes, err := cfg.routes()
	if err != nil {
		return err
	}
	log := cfg.Logger(stderr, serviceName)
	srv := boot.NewServer(serviceName, log)
	defer srv.Close()
	var bus *boot.Kafka
	if len(cfg.Brokers) > 0 {
		if bus, err = srv.OpenKafka(ctx, cfg.Kafka, nil); err != nil {
			return err
		}
	}
	// Each realm's keys come from auth-service itself, not through the
	// public URL (which is this gateway); the issuer stays the public one.
	auth := cfg.upstreams["auth"]
	// A token presented again skips its signature check (not its expiry,
	// key, realm or revocation checks): most requests reuse a token. Its
	// revocation check is answered from rueidis's client-side cache, which
	// Redis invalidates when a revocation is written: the request's only
	// round trip to Redis is the rate limit's.
	verifier, redisReady, err := srv.CachingVerifier(ctx, cfg.Config,
		authverify.WithKeySource(authverify.NewHTTPKeySource(ctx, auth, &http.Client{Timeout: 10 * time.Second})),
		authverify.WithTokenCache(0))
	if err != nil {
		return err
	}
	rc, err := boot.OpenRedis(cfg.RedisURL)
	if err != nil {
		return err
	}
	defer rc.Close()

	cors := gateway.CORS{Origins: cfg.origins}
	if cfg.ServiceToken != "" {
		cors.Source = gateway.ServiceOrigins(realmshttp.NewClient(cfg.Peers.Realms, cfg.ServiceToken),
			clientshttp.NewClient(cfg.Peers.Clients, cfg.ServiceToken))
	} else {
		log.Warn("OPENGATE_SERVICE_TOKEN is not set: only OPENGATE_CORS_ORIGINS are allowed cross-origin, not the realms' and clients' origins")
	}
	// Admitted from memory, synchronised with Redis every
	// cfg.limitSync (0: one round trip per request); closed before rc.
	limiter := gatewayredis.New(rc, gatewayredis.WithPrefix(cfg.RedisPrefix+"ratelimit:"),
		gatewayredis.WithSync(cfg.limitSync), gatewayredis.WithLogger(log))
	defer limiter.Close()
	metrics := gatewayprom.New()
	var health lateHandler
	gw, err := gateway.New(append(routes, gateway.HealthRoutes(&health)...),
		gateway.WithVerifier(verifier),
		gateway.WithLogger(log),
		gateway.WithObserver(metrics),
		gateway.WithTrustedProxies(cfg.proxies...),
		gateway.WithCORS(cors),
		gateway.WithRateLimits(cfg.limits, limiter),
		gateway.WithTimeouts(cfg.timeouts))
	if err != nil {
		return err
	}
	if bus != nil {
		// Every replica drops its cached origins when a realm or client
		// changes, in a consumer group of its own.
		group := serviceName + ".origins." + cfg.Instance
		srv.Task("CORS origin cache invalidation", func(ctx context.Context) error {
			return bus.CacheSubscriber().Subscribe(ctx, group, gateway.OriginTopics(), gw.HandleEvent)
		})
	}
	return srv.Serve(ctx, cfg.Listen(), stdout, boot.Routes{
		Metrics:    serviceName,
		Checks:     map[string]iamhttp.Check{"redis": redisReady},
		Collectors: []prometheus.Collector{metrics},
		Front: func(local http.Handler) http.Handler {
			health.Handler = local
			return gw
		},
	})
}

// lateHandler serves /healthz, /readyz and /metrics once boot.Serve has
// made them: the gateway is built (and its configuration checked) before.
type lateHandler struct{ http.Handler }
