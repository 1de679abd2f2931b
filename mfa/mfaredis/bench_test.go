package mfaredis_test

import (
	"testing"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/mfa/mfamem"
	"github.com/opengate-iam/opengate/mfa/mfaredis"
	"github.com/opengate-iam/opengate/mfa/mfatest"
)

// BenchmarkVerifyTOTP measures Verify of a right authenticator code with
// the verification state in Redis (the factors in memory, as a cached
// store would serve them): two Redis round trips a verification (the
// lockout read and the step). See
// mfatest.BenchmarkVerify.
//
//	OPENGATE_TEST_REDIS_URL=redis://127.0.0.1:6379/0 go test -run '^$' -bench VerifyTOTP -benchmem ./mfa/mfaredis/
func BenchmarkVerifyTOTP(b *testing.B) {
	rc, prefix := iamtest.Redis(b)
	mfatest.BenchmarkVerify(b, mfatest.ServiceHarness{Store: mfamem.New(), State: mfaredis.New(rc, mfaredis.WithPrefix(prefix))})
}

// BenchmarkVerifyTOTPParallel is the same from 16 goroutines per CPU,
// whose Redis commands rueidis pipelines.
func BenchmarkVerifyTOTPParallel(b *testing.B) {
	rc, prefix := iamtest.Redis(b)
	mfatest.BenchmarkVerifyParallel(b, mfatest.ServiceHarness{Store: mfamem.New(), State: mfaredis.New(rc, mfaredis.WithPrefix(prefix))}, 16)
}
