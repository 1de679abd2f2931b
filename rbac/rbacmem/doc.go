// Package rbacmem is an in-memory rbac.Store: the embedded default of the
// all-in-one binary, and the reference the conformance suite (rbactest) is
// written against. It keeps everything in maps under one mutex and publishes
// events to an iam.Publisher after each change, best effort.
//
//	bus := iambus.New()
//	svc := rbac.New(rbacmem.New(bus))
//	go rbackafka.Run(ctx, bus, svc) // realm.created → default roles, ...
package rbacmem
