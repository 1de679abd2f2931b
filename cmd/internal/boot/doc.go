// Package boot is the plumbing the OpenGate binaries share, so that each
// binary's run says only what is its own: which settings it adds, which
// services it builds and what it serves.
//
// It parses the shared settings (Parse: -addr, -migrate-only, -instance and
// the OPENGATE_* variables; RequireIssuer, SecretKey, RequireSecretKey),
// opens and migrates the database (OpenPostgres), connects to Kafka
// (OpenKafka, Kafka.Subscriber, Kafka.CacheSubscriber), runs named background
// tasks (Server.Task, on internal/tasks.Group), builds the standard router
// (Router, on internal/routing: metrics, /healthz, /readyz, /metrics, public
// routes, routes behind token verification) and serves it beside the tasks
// (Server).
//
// A microservice's run:
//
//	cfg, err := boot.Parse(boot.Binary{Name: "realm-service", Addr: ":8083", Database: "realms"}, args, getenv, stderr)
//	if err != nil {
//		return err
//	}
//	// ... the binary's own settings; cfg.RequireIssuer unless cfg.MigrateOnly
//	log := cfg.Logger(stderr, "realm-service")
//	pool, err := cfg.OpenPostgres(ctx, realmspg.Migrate) // {prefix}realms, created if missing
//	if err != nil {
//		return err
//	}
//	defer pool.Close()
//	// ... -migrate-only stops here; build the verifier and the service
//	srv := boot.NewServer("realm-service", log)
//	defer srv.Close()
//	if len(cfg.Brokers) > 0 {
//		bus, err := srv.OpenKafka(ctx, cfg.Kafka, pool) // adds the outbox relay
//		if err != nil {
//			return err
//		}
//		srv.Task("realm cache invalidation", func(ctx context.Context) error {
//			return realmskafka.RunCacheInvalidation(ctx, bus.CacheSubscriber(), group, svc)
//		})
//	}
//	return srv.Serve(ctx, cfg.Addr, stdout, boot.Routes{
//		Metrics:  "realms",
//		Checks:   map[string]iamhttp.Check{"postgres": pool.Ping},
//		Verifier: verifier,
//		Verified: realmshttp.NewHandler(svc).Mount,
//	})
package boot
