package mfa_test

import (
	"testing"

	"github.com/opengate-iam/opengate/mfa/mfamem"
	"github.com/opengate-iam/opengate/mfa/mfatest"
)

// BenchmarkVerifyTOTP measures Verify of a right authenticator code on
// memory stores (see mfatest.BenchmarkVerify).
//
//	go test -run '^$' -bench VerifyTOTP -benchmem ./mfa/
func BenchmarkVerifyTOTP(b *testing.B) {
	mfatest.BenchmarkVerify(b, mfatest.ServiceHarness{Store: mfamem.New(), State: mfamem.NewEphemeral()})
}

// BenchmarkVerifyTOTPParallel is the same from 8 goroutines per CPU.
func BenchmarkVerifyTOTPParallel(b *testing.B) {
	mfatest.BenchmarkVerifyParallel(b, mfatest.ServiceHarness{Store: mfamem.New(), State: mfamem.NewEphemeral()}, 8)
}
