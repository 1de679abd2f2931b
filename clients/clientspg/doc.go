// Package clientspg is the PostgreSQL clients.Store: sqlc queries over the
// clients table (queries/, generated code in internal/db), tern migrations
// embedded from migrations/, events written to iampg's outbox in the
// transaction of each change (publish them with iampg.Relay), consumers made
// idempotent with iampg.HandleOnce. Secrets arrive sealed and hashed from the
// service; the store never sees them in plain text.
//
//	if err := clientspg.Migrate(ctx, pool); err != nil { ... }
//	svc := clients.New(clientspg.New(pool), sealer) // sealer from OPENGATE_SECRET_KEY
//	go iampg.NewRelay(pool, publisher).Run(ctx)
package clientspg
