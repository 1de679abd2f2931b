// Package userstest is the conformance suite every users.Store passes, and
// test helpers (Realms, a hand-written users.RealmGetter fake). A store's
// test runs the suite in three lines:
//
//	func TestConformance(t *testing.T) {
//		userstest.Run(t, func(t *testing.T) users.Store { return usersmem.New(nil) })
//	}
package userstest
