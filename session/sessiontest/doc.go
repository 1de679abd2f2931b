// Package sessiontest is the conformance suite of session.Store: every
// implementation runs it in three lines, on a fresh store per case.
//
//	func TestStore(t *testing.T) {
//		sessiontest.Run(t, func(t *testing.T) sessiontest.Harness {
//			clock := sessiontest.NewClock()
//			return sessiontest.Harness{Store: sessionmem.New(sessionmem.WithClock(clock.Now)),
//				Now: clock.Now, Wait: clock.Wait}
//		})
//	}
package sessiontest
