// Package mfamem keeps the MFA service's state in memory, for one process:
// Store (the enrolled factors) and Ephemeral (used TOTP steps, pending email
// codes, failure and send counters, with their TTLs). It is the embedded
// default and the reference the conformance suites run first:
//
//	svc := mfa.New(mfamem.New(), mfamem.NewEphemeral(), realmSvc)
package mfamem
