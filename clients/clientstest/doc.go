// Package clientstest is the conformance suite every clients.Store passes.
// A backend's test runs it in three lines:
//
//	func TestStore(t *testing.T) {
//		clientstest.Run(t, func(t *testing.T) clientstest.Harness {
//			rec := iamtest.NewRecorder()
//			return clientstest.Harness{Store: clientsmem.New(rec), Events: rec.Events}
//		})
//	}
package clientstest
