// Package notifypg is the PostgreSQL notify.Store (database
// opengate_notifications): sqlc queries (queries/, generated code in
// internal/db) over the delivery log, the workers' queue, the login-failure
// counts and the template overrides; tern migrations embedded from
// migrations/; consumers made idempotent with iampg.HandleOnce. Workers of
// several replicas share the queue (FOR UPDATE SKIP LOCKED). The database
// never holds a secret in clear: an action link stays sealed as its event
// carried it, and is dropped once sent.
//
//	if err := notifypg.Migrate(ctx, pool); err != nil { ... }
//	svc, err := notify.New(notifypg.New(pool), usersClient, realmsGetter, opts...)
//	go svc.Run(ctx)
package notifypg
