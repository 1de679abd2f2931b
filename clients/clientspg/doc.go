// Package clientspg is the PostgreSQL clients.Store: sqlc queries over the
// clients table (queries/, generated code in internal/db), tern migrations
// embedded from migrations/, events written to iampg's outbox in the
// transaction of each change (publish them with iampg.Relay), consumers made
// idempotent with iampg.HandleOnce. Client secrets are sealed at rest with
// AES-256-GCM under the deployment key, bound to their realm and client id:
// New requires the sealer, and the database never holds a secret in clear.
//
//	if err := clientspg.Migrate(ctx, pool); err != nil { ... }
//	sealer, err := iamcrypto.NewSealer(key) // OPENGATE_SECRET_KEY
//	store, err := clientspg.New(pool, sealer)
//	svc := clients.New(store)
//	go iampg.NewRelay(pool, publisher).Run(ctx)
package clientspg
