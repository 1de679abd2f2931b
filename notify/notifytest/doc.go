// Package notifytest is the conformance suite every notify.Store passes,
// and test helpers for the notify service: an SMTP server in the test
// process (SMTPServer, on emersion/go-smtp) that records what it receives
// or refuses it. A store's test runs the suite in three lines:
//
//	func TestStore(t *testing.T) {
//		notifytest.Run(t, func(t *testing.T) notifytest.Harness {
//			return notifytest.Harness{Store: notifymem.New()}
//		})
//	}
package notifytest
