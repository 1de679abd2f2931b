package mfatest

import (
	"bytes"
	"encoding/base32"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/realms"
)

func b32Decode(s string) ([]byte, error) {
	return base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
}

func testEnrolment(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	a := f.start("u1")
	if len(a.secret) != 20 || a.Algorithm != realms.OTPHmacSHA1 || a.Digits != 6 || a.Period != 30*time.Second {
		t.Fatalf("enrolment = %d-byte secret, %s, %d digits, %v", len(a.secret), a.Algorithm, a.Digits, a.Period)
	}
	u, err := url.Parse(a.URI)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Acme:u1@acme.test" {
		t.Fatalf("URI = %q (%v)", a.URI, err)
	}
	q := u.Query()
	if q.Get("secret") != a.Secret || q.Get("issuer") != "Acme" || q.Get("digits") != "6" ||
		q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("URI parameters = %v", q)
	}
	img, err := png.Decode(bytes.NewReader(a.QRCode))
	if err != nil || img.Bounds().Dx() != mfa.QRCodeSize || img.Bounds().Dy() != mfa.QRCodeSize {
		t.Fatalf("QR code: %v, %v", img, err)
	}
	if !a.ExpiresAt.Equal(t0.Add(mfa.EnrolmentLifespan)) {
		t.Fatalf("ExpiresAt = %v", a.ExpiresAt)
	}
}

func testConfirm(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	a := f.start("u1")
	if list := f.factors("u1"); len(list) != 0 {
		t.Fatalf("a pending enrolment counts: %+v", list)
	}
	f.wantVerify("u1", f.code(a, t0), mfa.ReasonNoFactor)
	_, err := f.svc.ConfirmTOTP(ctx(t), "acme", "u1", a.FactorID, "000000")
	if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != "code" {
		t.Fatalf("confirm with a wrong code = %v, want invalid code", err)
	}
	_, err = f.svc.ConfirmTOTP(ctx(t), "acme", "u2", a.FactorID, f.code(a, t0))
	wantCode(t, err, iam.CodeNotFound) // another user's enrolment
	got, err := f.svc.ConfirmTOTP(ctx(t), "acme", "u1", a.FactorID, f.code(a, t0))
	if err != nil || got.ID != a.FactorID || got.Type != mfa.TypeTOTP || got.Label != "Phone" || !got.ConfirmedAt.Equal(t0) {
		t.Fatalf("ConfirmTOTP = %+v, %v", got, err)
	}
	if list := f.factors("u1"); len(list) != 1 || list[0].ID != a.FactorID {
		t.Fatalf("Factors = %+v", list)
	}
	_, err = f.svc.ConfirmTOTP(ctx(t), "acme", "u1", a.FactorID, f.code(a, t0.Add(30*time.Second)))
	wantCode(t, err, iam.CodeNotFound) // confirmed once
	// The confirming code cannot sign in.
	f.wantVerify("u1", f.code(a, t0), mfa.ReasonCodeReused)
}

func testEnrolmentExpires(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	a := f.start("u1")
	f.clock.Advance(mfa.EnrolmentLifespan + time.Second)
	_, err := f.svc.ConfirmTOTP(ctx(t), "acme", "u1", a.FactorID, f.code(a, f.clock.Now()))
	wantCode(t, err, iam.CodeNotFound)
}

func testEnrolmentReplaced(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	first := f.start("u1")
	second := f.start("u1")
	_, err := f.svc.ConfirmTOTP(ctx(t), "acme", "u1", first.FactorID, f.code(first, t0))
	wantCode(t, err, iam.CodeNotFound)
	if _, err := f.svc.ConfirmTOTP(ctx(t), "acme", "u1", second.FactorID, f.code(second, t0)); err != nil {
		t.Fatal(err)
	}
}

func testMaxAuthenticators(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	for range mfa.MaxTOTPFactors {
		f.enrol("u1")
	}
	_, err := f.svc.StartTOTP(ctx(t), "acme", "u1", "u1", "")
	wantCode(t, err, iam.CodeConflict)
}

// The realm's window is one step each side by default: a code of the step
// before or after the current one is accepted, two steps away is not —
// wherever the clock is within its step.
func testWindowEdges(t *testing.T, h ServiceHarness) {
	const p = 30 * time.Second
	tests := []struct {
		name   string
		clock  time.Duration // after the start of the current step
		codeAt time.Duration // relative to the start of the current step
		want   string
	}{
		{"CurrentStep", 0, 0, mfa.MethodTOTP},
		{"PreviousStepFirstSecond", 0, -p, mfa.MethodTOTP},
		{"PreviousStepLastSecond", 0, -time.Second, mfa.MethodTOTP},
		{"NextStepFirstSecond", 0, p, mfa.MethodTOTP},
		{"NextStepLastSecond", 0, 2*p - time.Second, mfa.MethodTOTP},
		{"TwoStepsBack", 0, -p - time.Second, mfa.ReasonInvalidCode},
		{"TwoStepsAhead", 0, 2 * p, mfa.ReasonInvalidCode},
		{"ClockAtLastSecondPreviousStep", p - time.Second, -p, mfa.MethodTOTP},
		{"ClockAtLastSecondTwoStepsBack", p - time.Second, -p - time.Second, mfa.ReasonInvalidCode},
		{"ClockAtLastSecondNextStep", p - time.Second, 2*p - time.Second, mfa.MethodTOTP},
		{"ClockAtLastSecondTwoStepsAhead", p - time.Second, 2 * p, mfa.ReasonInvalidCode},
	}
	f := newFixture(t, h)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := "u" + string(rune('a'+i))
			a := f.enrol(user)
			step := f.clock.Now().Truncate(p)
			f.clock.Set(step.Add(tt.clock))
			f.wantVerify(user, f.code(a, step.Add(tt.codeAt)), tt.want)
		})
	}
}

func testWindowZero(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	zero := 0
	f.updateRealm(realms.Update{OTPLookAheadWindow: &zero})
	a := f.enrol("u1")
	now := f.clock.Now()
	f.wantVerify("u1", f.code(a, now.Add(-30*time.Second)), mfa.ReasonInvalidCode)
	f.wantVerify("u1", f.code(a, now.Add(30*time.Second)), mfa.ReasonInvalidCode)
	f.wantVerify("u1", f.code(a, now), mfa.MethodTOTP)
}

func testReplay(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	a := f.enrol("u1")
	now := f.clock.Now()
	current := f.code(a, now)
	f.wantVerify("u1", current, mfa.MethodTOTP)
	f.wantVerify("u1", current, mfa.ReasonCodeReused)
	// Still refused later in the window, with spaces typed in.
	f.clock.Advance(40 * time.Second)
	f.wantVerify("u1", current[:3]+" "+current[3:], mfa.ReasonCodeReused)
	// A code of a step never used but older than one used is refused too
	// (RFC 6238 §5.2).
	f.clock.Set(now.Add(30 * time.Second))                                         // step S+1
	f.wantVerify("u1", f.code(a, now.Add(60*time.Second)), mfa.MethodTOTP)         // S+2: ahead, in the window
	f.wantVerify("u1", f.code(a, now.Add(30*time.Second)), mfa.ReasonCodeReused)   // S+1: older than S+2
	f.wantVerify("u1", f.code(a, now.Add(-30*time.Second)), mfa.ReasonInvalidCode) // S-1: out of the window
}

func testReplayAcrossReplicas(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	a := f.enrol("u1")
	code := f.code(a, f.clock.Now())
	replica := f.service()
	if m, err := replica.Verify(ctx(t), "acme", "u1", code); err != nil || m != mfa.MethodTOTP {
		t.Fatalf("replica's Verify = %q, %v", m, err)
	}
	f.wantVerify("u1", code, mfa.ReasonCodeReused)
}

func testParametersKept(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	old := f.enrol("u1")
	alg, digits, period := realms.OTPHmacSHA512, 8, time.Minute
	f.updateRealm(realms.Update{OTPAlgorithm: &alg, OTPDigits: &digits, OTPPeriod: &period})
	f.wantVerify("u1", f.code(old, f.clock.Now()), mfa.MethodTOTP)
	f.clock.Advance(time.Hour)
	fresh := f.enrol("u2")
	if fresh.Algorithm != alg || fresh.Digits != 8 || fresh.Period != time.Minute || len(fresh.secret) != 64 {
		t.Fatalf("enrolment under the new policy = %s, %d digits, %v, %d-byte secret",
			fresh.Algorithm, fresh.Digits, fresh.Period, len(fresh.secret))
	}
	if !strings.Contains(fresh.URI, "algorithm=SHA512") || !strings.Contains(fresh.URI, "digits=8") {
		t.Fatalf("URI = %s", fresh.URI)
	}
	f.wantVerify("u2", f.code(fresh, f.clock.Now()), mfa.MethodTOTP)
}

func testLockout(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	factor, wait := 3, time.Minute
	f.updateRealm(realms.Update{FailureFactor: &factor, WaitIncrement: &wait}) // bruteForceProtected stays off
	a := f.enrol("u1")
	for range 3 {
		f.wantVerify("u1", "000000", mfa.ReasonInvalidCode)
	}
	f.wantVerify("u1", f.code(a, f.clock.Now()), mfa.ReasonLocked)
	st, err := f.svc.Status(ctx(t), "acme", "u1")
	if err != nil || st.NumFailures != 3 || !st.Locked {
		t.Fatalf("Status = %+v, %v", st, err)
	}
	f.clock.Advance(wait + time.Second)
	f.wantVerify("u1", f.code(a, f.clock.Now()), mfa.MethodTOTP)
	if st, _ := f.svc.Status(ctx(t), "acme", "u1"); st.NumFailures != 0 || st.Locked {
		t.Fatalf("a success leaves %+v", st)
	}
	// An administrator ends a lockout.
	for range 3 {
		f.wantVerify("u1", "000000", mfa.ReasonInvalidCode)
	}
	if err := f.svc.ClearFailures(ctx(t), "acme", "u1"); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30 * time.Second)
	f.wantVerify("u1", f.code(a, f.clock.Now()), mfa.MethodTOTP)
}

func testMFAOff(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	off := realms.MFAOff
	f.updateRealm(realms.Update{MFA: &off})
	_, err := f.svc.StartTOTP(ctx(t), "acme", "u1", "u1", "")
	wantCode(t, err, iam.CodeForbidden)
	wantCode(t, f.svc.SendEmailOTP(ctx(t), "acme", "u1", "u1@acme.test"), iam.CodeForbidden)
	_, err = f.svc.StartTOTP(ctx(t), "nope", "u1", "u1", "")
	wantCode(t, err, iam.CodeNotFound)
}
