// Package opengate is the front door of the OpenGate SDK: New assembles every
// OpenGate service — realms, clients, users, roles, tokens — with their
// stores, their event bus and the consumers that keep them consistent, and
// the Server it returns serves the whole Keycloak-compatible HTTP API
// (Handler) and runs the background work (Run). It is what cmd/opengate, the
// all-in-one binary, runs; embed it to run an identity provider inside your
// own Go server.
//
// The zero Config beside IssuerBase is the embedded default: data and
// ephemeral state in memory, an in-process event bus. Give it databases,
// Redis and Kafka for production:
//
//	dbs, err := opengate.OpenDatabases(ctx, "postgres://user:pw@db:5432/postgres", "opengate_")
//	if err != nil { ... }
//	defer dbs.Close()
//	srv, err := opengate.New(ctx, opengate.Config{
//		IssuerBase: "https://id.example.com",
//		Databases:  dbs,        // one database per service, migrated by New
//		SecretKey:  key,        // 32 bytes, the same in every replica
//		Redis:      redisClient, // a rueidis.Client
//		Publisher:  kafkaPublisher, Subscriber: kafkaSubscriber,
//		Admin:      &opengate.Admin{Username: "admin", Password: adminPassword},
//		Logger:     logger,
//	})
//
// Then serve srv.Handler() at the root of your mux (its paths are Keycloak's:
// /realms/{realm}/protocol/openid-connect/..., /admin/realms/...), run
// srv.Run(ctx) beside it, protect your own routes with
// srv.Verifier.Middleware, and call the services (srv.Users, srv.RBAC, ...)
// from your code: they apply the same rules and emit the same events as the
// API. Without Run the API answers, but no event is consumed: a deleted
// realm's users, clients and roles would stay behind.
//
// Importing this package brings in every service with its PostgreSQL, Redis
// and HTTP code. A resource server that only checks tokens imports
// auth/authverify instead; custom assemblies import the service packages
// (users, rbac, ...) and the store packages they choose.
package opengate
