// Package notifymem is the in-memory notify.Store: the delivery log, the
// login-failure counts and the template overrides of one process, for the
// all-in-one binary's embedded default and tests. It passes notifytest.Run.
// The log keeps the most recent deliveries of each realm (DefaultLimit, or
// WithLimit): beyond it, the oldest settled ones are forgotten.
//
//	svc, err := notify.New(notifymem.New(), usersSvc, realmsSvc,
//		notify.WithFallback(notify.LogTransport{Log: log}))
package notifymem
