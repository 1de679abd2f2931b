// Package clientsmem is the in-memory clients.Store: the embedded default
// and the reference for the conformance suite. Data lives as long as the
// process.
//
// Events are published to the iam.Publisher given to New after each change
// is applied — best-effort, in-process delivery (an event is lost if the
// publisher fails), acceptable for the embedded default; a nil publisher
// drops them. Secrets live in memory as given: there is nothing at rest to
// seal.
//
//	svc := clients.New(clientsmem.New(bus))
package clientsmem
