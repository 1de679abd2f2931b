// Package userstest is the conformance suite every users.Store passes, and
// test helpers (Realms, a hand-written users.RealmGetter fake). A store's
// test runs the suite in three lines:
//
//	func TestStore(t *testing.T) {
//		userstest.Run(t, func(t *testing.T) userstest.Harness {
//			rec := iamtest.NewRecorder()
//			return userstest.Harness{Store: usersmem.New(rec), Events: rec.Events}
//		})
//	}
package userstest
