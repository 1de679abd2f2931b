// Package realmspg is the PostgreSQL realms.Store: sqlc queries over the
// realms table (queries/, generated code in internal/db), tern migrations
// embedded from migrations/, events written to iampg's outbox in the
// transaction of each change (publish them with iampg.Relay). The SMTP
// password is sealed with AES-GCM under the deployment key: New requires a
// sealer.
//
//	if err := realmspg.Migrate(ctx, pool); err != nil { ... }
//	sealer, err := iamcrypto.NewSealer(key) // OPENGATE_SECRET_KEY
//	store, err := realmspg.New(pool, sealer)
//	svc := realms.New(store)
//	go iampg.NewRelay(pool, publisher).Run(ctx)
package realmspg
