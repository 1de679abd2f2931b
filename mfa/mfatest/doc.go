// Package mfatest holds the conformance suites of the MFA service: RunStore
// for every mfa.Store, RunEphemeral for every mfa.EphemeralStore, and
// RunService, the Service's rules (TOTP windows and replay on a fixed
// clock, lockout, recovery codes, email codes) over any pair of them. Each
// takes a function returning a fresh harness and runs a table of named
// cases, each on its own harness:
//
//	func TestStore(t *testing.T) {
//		mfatest.RunStore(t, func(t *testing.T) mfatest.StoreHarness {
//			return mfatest.StoreHarness{Store: mfamem.New()}
//		})
//	}
package mfatest
