package mfatest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
)

// send sends u1 an email code and returns it.
func (f *fixture) send() string {
	f.t.Helper()
	if err := f.svc.SendEmailOTP(ctx(f.t), "acme", "u1", "alice@acme.test"); err != nil {
		f.t.Fatal(err)
	}
	return f.mail.last(f.t).Code
}

func testEmailOTP(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	code := f.send()
	m := f.mail.last(t)
	if len(code) != mfa.EmailOTPDigits || !isDigits(code) || m.To != "alice@acme.test" || m.Channel != mfa.ChannelEmail ||
		m.Realm != "acme" || m.UserID != "u1" || !m.ExpiresAt.Equal(t0.Add(mfa.DefaultEmailOTPLifespan)) {
		t.Fatalf("sent %+v", m)
	}
	events := f.events.Events(t)
	if len(events) != 1 || events[0].Type != iam.TopicOTPSent || events[0].Realm != "acme" || events[0].Subject != "u1" {
		t.Fatalf("events = %+v, want one mfa.otp_sent", events)
	}
	var data map[string]any
	if err := json.Unmarshal(events[0].Data, &data); err != nil || data["userId"] != "u1" || data["channel"] != "email" || len(data) != 2 {
		t.Fatalf("mfa.otp_sent data = %s", events[0].Data)
	}
	raw, _ := json.Marshal(events[0])
	if strings.Contains(string(raw), code) || strings.Contains(string(raw), "alice") {
		t.Fatalf("the event carries the code or the address: %s", raw)
	}
	f.wantVerify("u1", code, mfa.MethodEmail)
	f.wantVerify("u1", code, mfa.ReasonNoFactor)
}

func isDigits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

func testEmailExpiry(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	code := f.send()
	f.clock.Advance(mfa.DefaultEmailOTPLifespan - time.Second)
	f.wantVerify("u1", wrong(code), mfa.ReasonInvalidCode)
	f.clock.Advance(time.Second)
	f.wantVerify("u1", code, mfa.ReasonNoFactor)
}

// wrong returns another code of the same length.
func wrong(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

func testEmailAttempts(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	code := f.send()
	for range mfa.DefaultEmailOTPAttempts - 1 {
		f.wantVerify("u1", wrong(code), mfa.ReasonInvalidCode)
	}
	f.wantVerify("u1", wrong(code), mfa.ReasonTooManyAttempts)
	f.wantVerify("u1", code, mfa.ReasonNoFactor)
	// The fifth attempt may be the right one.
	code = f.send()
	for range mfa.DefaultEmailOTPAttempts - 1 {
		f.wantVerify("u1", wrong(code), mfa.ReasonInvalidCode)
	}
	f.wantVerify("u1", code, mfa.MethodEmail)
}

func testEmailRateLimit(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	for range mfa.DefaultEmailOTPSends {
		f.send()
	}
	err := f.svc.SendEmailOTP(ctx(t), "acme", "u1", "alice@acme.test")
	wantCode(t, err, iam.CodeRateLimited)
	if d := iam.RetryAfter(err); d <= 0 || d > mfa.DefaultEmailOTPSendWindow {
		t.Fatalf("retry after %v", d)
	}
	if len(f.mail.sent) != mfa.DefaultEmailOTPSends {
		t.Fatalf("%d codes sent", len(f.mail.sent))
	}
	// Other users are not limited by u1's sends.
	if err := f.svc.SendEmailOTP(ctx(t), "acme", "u2", "bob@acme.test"); err != nil {
		t.Fatal(err)
	}
}

func testEmailReplaced(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	first := f.send()
	second := f.send()
	if first != second {
		f.wantVerify("u1", first, mfa.ReasonInvalidCode)
	}
	f.wantVerify("u1", second, mfa.MethodEmail)
}

func testEmailSendFails(t *testing.T, h ServiceHarness) {
	f := newFixture(t, h)
	f.mail.err = errSend
	err := f.svc.SendEmailOTP(ctx(t), "acme", "u1", "alice@acme.test")
	wantCode(t, err, iam.CodeUnavailable)
	if events := f.events.Events(t); len(events) != 0 {
		t.Fatalf("a failed send recorded %+v", events)
	}
	f.wantVerify("u1", "123456", mfa.ReasonNoFactor)
	wantCode(t, f.svc.SendEmailOTP(ctx(t), "acme", "u1", "Alice <alice@acme.test>"), iam.CodeInvalid)
}
