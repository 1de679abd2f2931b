// Package usersmem is the in-memory users.Store: the embedded default and
// the reference for the conformance suite. Data lives as long as the process.
//
// Events are published to the iam.Publisher given to New after each change
// is applied, in the order of the changes — best-effort, in-process delivery
// (an event is lost if the publisher fails; the failure is logged),
// acceptable for the embedded default; a nil publisher drops them.
//
//	bus := iambus.New()
//	svc := users.New(usersmem.New(bus), realmsSvc)
package usersmem
