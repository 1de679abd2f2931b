// Package realmstest is the conformance suite every realms.Store passes. A
// backend's test runs it in three lines:
//
//	func TestStore(t *testing.T) {
//		realmstest.Run(t, func(t *testing.T) realmstest.Harness {
//			bus := iamtest.NewRecorder()
//			return realmstest.Harness{Store: realmsmem.New(bus), Events: bus.Events}
//		})
//	}
package realmstest
