package mfatest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
)

var recoveryFormat = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$`)

func (f *fixture) recoveryCodes(user string) []string {
	f.t.Helper()
	codes, err := f.svc.RegenerateRecoveryCodes(ctx(f.t), "acme", user)
	if err != nil {
		f.t.Fatal(err)
	}
	return codes
}

func testRecoveryCodes(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	f.enrol("u1")
	codes := f.recoveryCodes("u1")
	seen := map[string]bool{}
	for _, c := range codes {
		if !recoveryFormat.MatchString(c) || seen[c] {
			t.Fatalf("codes = %q: want %d distinct codes like 7k2m-q9xr-4hcd-w8ze", codes, mfa.RecoveryCodeCount)
		}
		seen[c] = true
	}
	if len(codes) != mfa.RecoveryCodeCount {
		t.Fatalf("%d codes", len(codes))
	}
	f.wantVerify("u1", codes[0], mfa.MethodRecoveryCode)
	f.wantVerify("u1", codes[0], mfa.ReasonInvalidCode)
	// Without dashes, in capitals.
	f.wantVerify("u1", strings.ToUpper(strings.ReplaceAll(codes[1], "-", "")), mfa.MethodRecoveryCode)
	for _, fa := range f.factors("u1") {
		if fa.Type == mfa.TypeRecoveryCodes && fa.RemainingCodes != mfa.RecoveryCodeCount-2 {
			t.Fatalf("%d codes left, want %d", fa.RemainingCodes, mfa.RecoveryCodeCount-2)
		}
	}
	// Another user cannot use them.
	f.enrol("u2")
	f.wantVerify("u2", codes[2], mfa.ReasonInvalidCode)
}

func testRegenerate(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	f.enrol("u1")
	old := f.recoveryCodes("u1")
	fresh := f.recoveryCodes("u1")
	f.wantVerify("u1", old[0], mfa.ReasonInvalidCode)
	f.wantVerify("u1", fresh[0], mfa.MethodRecoveryCode)
	sets := 0
	for _, fa := range f.factors("u1") {
		if fa.Type == mfa.TypeRecoveryCodes {
			sets++
		}
	}
	if sets != 1 {
		t.Fatalf("%d sets of recovery codes", sets)
	}
}

func testRecoveryNeedsTOTP(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	_, err := f.svc.RegenerateRecoveryCodes(ctx(t), "acme", "u1")
	wantCode(t, err, iam.CodeConflict)
	f.start("u1") // a pending enrolment is not enough
	_, err = f.svc.RegenerateRecoveryCodes(ctx(t), "acme", "u1")
	wantCode(t, err, iam.CodeConflict)
}

func testDeleteLastTOTP(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	first, second := f.enrol("u1"), f.enrol("u1")
	codes := f.recoveryCodes("u1")
	must(t, f.svc.DeleteFactor(ctx(t), "acme", "u1", first.FactorID))
	f.wantVerify("u1", codes[0], mfa.MethodRecoveryCode) // one authenticator is left
	must(t, f.svc.DeleteFactor(ctx(t), "acme", "u1", second.FactorID))
	if list := f.factors("u1"); len(list) != 0 {
		t.Fatalf("factors left: %+v", list)
	}
	f.wantVerify("u1", codes[1], mfa.ReasonNoFactor)
	wantCode(t, f.svc.DeleteFactor(ctx(t), "acme", "u1", second.FactorID), iam.CodeNotFound)
}
