package mfatest

import (
	"context"
	"encoding/base32"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/realms/realmsmem"
)

// BenchmarkVerify measures Service.Verify of a right authenticator code
// over the harness's stores, one call after another: the realm read
// (cached), the lockout read, the factors read, the window's three
// HMAC-SHA1 codes and the step recorded (failures are cleared only when
// there are some). Each
// iteration moves the clock three steps on (a step is accepted once, and
// the default window spans three: two steps' codes are equal one time in a
// million, which must not read as a replay); the codes are made before the
// timer starts. It reports verifies/s.
func BenchmarkVerify(b *testing.B, h ServiceHarness) {
	ctx := context.Background()
	a := enrolForBench(b, h, "u1")
	codes := make([]string, b.N)
	for i := range codes {
		codes[i] = a.code(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		a.step.Store(int64(i))
		if _, err := a.svc.Verify(ctx, "acme", "u1", codes[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
}

// BenchmarkVerifyParallel is BenchmarkVerify from parallelism ×
// GOMAXPROCS goroutines (b.SetParallelism), each verifying the codes of a
// user of its own on a clock of its own, against the stores they share —
// what concurrent logins at several replicas do (rueidis pipelines their
// Redis commands). Each iteration also makes its code (one HMAC, about a
// microsecond).
func BenchmarkVerifyParallel(b *testing.B, h ServiceHarness, parallelism int) {
	ctx := context.Background()
	b.SetParallelism(parallelism)
	ready := make([]*benchAuthenticator, parallelism*runtime.GOMAXPROCS(0))
	for i := range ready {
		ready[i] = enrolForBench(b, h, fmt.Sprintf("u%d", i))
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		a := ready[next.Add(1)-1]
		for i := 0; pb.Next(); i++ {
			a.step.Store(int64(i))
			if _, err := a.svc.Verify(ctx, "acme", a.user, a.code(i)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifies/s")
}

// benchAuthenticator is a user's confirmed authenticator and a Service on
// a clock of its own, at step `step` periods from t0.
type benchAuthenticator struct {
	svc    *mfa.Service
	user   string
	secret []byte
	e      mfa.Enrolment
	step   atomic.Int64
}

// benchStride is how many steps apart the iterations' codes are: beyond
// the default window of one step each side.
const benchStride = 3

func (a *benchAuthenticator) now() time.Time {
	return t0.Add(time.Duration(a.step.Load()*benchStride) * 30 * time.Second)
}

// code is the code of iteration i.
func (a *benchAuthenticator) code(i int) string {
	c, _ := mfa.GenerateTOTP(a.secret, a.e.Algorithm, a.e.Digits, a.e.Period, t0.Add(time.Duration(i*benchStride)*a.e.Period))
	return c
}

// enrolForBench confirms an authenticator of acme's user (at step -10).
func enrolForBench(b *testing.B, h ServiceHarness, user string) *benchAuthenticator {
	b.Helper()
	ctx := context.Background()
	rs := realms.New(realmsmem.New(nil))
	if _, err := rs.Create(ctx, realms.Realm{Name: "acme", Enabled: true}); err != nil {
		b.Fatal(err)
	}
	a := &benchAuthenticator{user: user}
	a.step.Store(-10)
	a.svc = mfa.New(h.Store, h.State, rs, mfa.WithClock(a.now))
	e, err := a.svc.StartTOTP(ctx, "acme", user, user, "")
	if err != nil {
		b.Fatal(err)
	}
	a.e = e
	a.secret, _ = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	if _, err := a.svc.ConfirmTOTP(ctx, "acme", user, e.FactorID, a.code(-10)); err != nil {
		b.Fatal(err)
	}
	return a
}
