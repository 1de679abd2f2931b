// Package userspg is the PostgreSQL users.Store: sqlc queries
// (queries/*.sql, generated into internal/db), tern migrations embedded from
// migrations/*.sql, and events written to iampg's outbox in the transaction
// of each change. Every query carries realm_name in its predicate.
//
// Search uses pg_trgm GIN indexes for substring matches and the
// (realm_name, username) key for ordering; uniqueness of usernames and, per
// realm setting, emails is enforced by unique constraints, so concurrent
// creates cannot both win.
//
//	if err := userspg.Migrate(ctx, pool); err != nil { ... }
//	svc := users.New(userspg.New(pool), realmsSvc)
//	go iampg.NewRelay(pool, publisher).Run(ctx) // publishes the outbox
package userspg
