// Package iampg is the PostgreSQL plumbing every OpenGate store shares:
// transactions, embedded migrations, the one translation of database errors
// into iam codes, the transactional outbox with its relay, and idempotent
// event consumers.
//
// A service sets up its database with one call, which creates the shared
// outbox and processed_events tables and then applies the service's own
// tern migrations, each set tracked in its own version table so several
// services can share one database:
//
//	//go:embed migrations/*.sql
//	var migrations embed.FS
//
//	err := iampg.Migrate(ctx, pool, migrations, "users") // schema_version_users
//
// A process that seals secrets checks its deployment key against the one the
// database recorded at first start, and refuses to start on a mismatch:
//
//	if err := iampg.CheckSealingKey(ctx, pool, sealer); err != nil { ... }
//
// A store changes state and records the event in one transaction; the event
// is published if and only if the change commits:
//
//	err := iampg.WithTx(ctx, pool, func(tx pgx.Tx) error {
//		if _, err := tx.Exec(ctx, insertUser, u.ID, u.Realm, u.Username); err != nil {
//			return err // WithTx maps it: a duplicate username is iam.CodeConflict
//		}
//		return iampg.Write(ctx, tx, event)
//	})
//
// One relay per process (replicas share the table safely) publishes the
// outbox to the bus:
//
//	go iampg.NewRelay(pool, publisher).Run(ctx)
//
// A consumer makes its effect happen once although the bus delivers at least
// once:
//
//	bus.Subscribe(ctx, "users", []string{iam.TopicRealmDeleted},
//		iampg.OnceHandler(pool, "users",
//			func(ctx context.Context, tx pgx.Tx, e iam.Event) error {
//				_, err := tx.Exec(ctx, `DELETE FROM users WHERE realm_name = $1`, e.Realm)
//				return err
//			}))
package iampg
