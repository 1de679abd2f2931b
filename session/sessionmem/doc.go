// Package sessionmem is an in-memory session.Store, for the all-in-one
// binary's default and for tests. Sessions expire by the store's clock
// (WithClock): an expired session is reported ended until its max lifespan,
// and swept from memory as writes come.
//
//	store := sessionmem.New()
//	svc := session.New(store, realmsService, session.WithPublisher(bus))
package sessionmem
