package realms_test

import (
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

func TestDefault(t *testing.T) {
	r := realms.Default("acme")
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
	if r.AccessTokenLifespan != 5*time.Minute || r.SSOSessionIdleTimeout != 30*time.Minute ||
		r.SSOSessionMaxLifespan != 10*time.Hour || r.AccessCodeLifespan != time.Minute ||
		r.SigningAlgorithm != realms.AlgRS256 || r.MFA != realms.MFAOptional || !r.Enabled || r.BruteForce.Enabled {
		t.Fatalf("defaults = %+v", r)
	}
	// Keycloak's OTP policy defaults.
	want := realms.OTPPolicy{Type: "totp", Algorithm: "HmacSHA1", Digits: 6, Period: 30 * time.Second, LookAheadWindow: 1}
	if r.OTP != want {
		t.Fatalf("OTP policy = %+v, want %+v", r.OTP, want)
	}
}

func TestOTPPolicyDefaultsKeepAnExplicitWindowOfZero(t *testing.T) {
	p := realms.OTPPolicy{Digits: 8}.WithDefaults()
	if p.LookAheadWindow != 0 || p.Digits != 8 || p.Period != 30*time.Second || p.Algorithm != "HmacSHA1" {
		t.Fatalf("WithDefaults = %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestValidateNamesTheField(t *testing.T) {
	tests := []struct {
		field  string
		change func(*realms.Realm)
	}{
		{"realm", func(r *realms.Realm) { r.Name = "Bad Name" }},
		{"displayName", func(r *realms.Realm) { r.DisplayName = "a\nb" }},
		{"accessTokenLifespan", func(r *realms.Realm) { r.AccessTokenLifespan = -time.Second }},
		{"accessTokenLifespan", func(r *realms.Realm) { r.AccessTokenLifespan = 1500 * time.Millisecond }},
		{"accessTokenLifespan", func(r *realms.Realm) { r.AccessTokenLifespan = 48 * time.Hour }},
		{"ssoSessionIdleTimeout", func(r *realms.Realm) { r.SSOSessionIdleTimeout = 0 }},
		{"ssoSessionMaxLifespan", func(r *realms.Realm) { r.SSOSessionMaxLifespan = 0 }},
		{"accessCodeLifespan", func(r *realms.Realm) { r.AccessCodeLifespan = 2 * time.Hour }},
		{"passwordPolicy", func(r *realms.Realm) { r.PasswordPolicy.Digits = -1 }},
		{"failureFactor", func(r *realms.Realm) { r.BruteForce.FailureFactor = 0 }},
		{"waitIncrementSeconds", func(r *realms.Realm) { r.BruteForce.WaitIncrement = 0 }},
		{"maxFailureWaitSeconds", func(r *realms.Realm) { r.BruteForce.MaxWait = time.Second }},
		{"maxDeltaTimeSeconds", func(r *realms.Realm) { r.BruteForce.ResetAfter = -time.Second }},
		{"mfaPolicy", func(r *realms.Realm) { r.MFA = "sometimes" }},
		{"signingAlgorithm", func(r *realms.Realm) { r.SigningAlgorithm = "HS256" }},
		{"signingAlgorithm", func(r *realms.Realm) { r.SigningAlgorithm = "none" }},
		{"smtpServer.host", func(r *realms.Realm) { r.SMTP = realms.SMTP{From: "a@b.test"} }},
		{"smtpServer.from", func(r *realms.Realm) { r.SMTP = realms.SMTP{Host: "mx", From: "Bob <a@b.test>"} }},
		{"smtpServer.port", func(r *realms.Realm) { r.SMTP = realms.SMTP{Host: "mx", From: "a@b.test", Port: 70000} }},
		{"smtpServer.user", func(r *realms.Realm) { r.SMTP = realms.SMTP{Host: "mx", From: "a@b.test", Password: "p"} }},
		{"smtpServer.password", func(r *realms.Realm) {
			r.SMTP = realms.SMTP{Host: "mx", From: "a@b.test", User: "u", Password: realms.SecretMask}
		}},
		{"corsOrigins", func(r *realms.Realm) { r.CORSOrigins = []string{"*"} }},
		{"corsOrigins", func(r *realms.Realm) { r.CORSOrigins = []string{"https://app.test/path"} }},
		{"corsOrigins", func(r *realms.Realm) { r.CORSOrigins = []string{"ftp://app.test"} }},
		{"attributes", func(r *realms.Realm) { r.Attributes = map[string]string{"": "x"} }},
		{"attributes", func(r *realms.Realm) { r.Attributes = map[string]string{"note": "a\x00b"} }},
		{"smtpServer.host", func(r *realms.Realm) { r.SMTP = realms.SMTP{Host: "mx\x00", From: "a@b.test"} }},
		{"otpPolicyType", func(r *realms.Realm) { r.OTP.Type = "hotp" }},
		{"otpPolicyAlgorithm", func(r *realms.Realm) { r.OTP.Algorithm = "SHA1" }},
		{"otpPolicyDigits", func(r *realms.Realm) { r.OTP.Digits = 7 }},
		{"otpPolicyPeriod", func(r *realms.Realm) { r.OTP.Period = 10 * time.Second }},
		{"otpPolicyPeriod", func(r *realms.Realm) { r.OTP.Period = 30500 * time.Millisecond }},
		{"otpPolicyPeriod", func(r *realms.Realm) { r.OTP.Period = 10 * time.Minute }},
		{"otpPolicyLookAheadWindow", func(r *realms.Realm) { r.OTP.LookAheadWindow = -1 }},
		{"otpPolicyLookAheadWindow", func(r *realms.Realm) { r.OTP.LookAheadWindow = 11 }},
		{"loginTheme", func(r *realms.Realm) { r.LoginTheme = ".." }},
		{"loginTheme", func(r *realms.Realm) { r.LoginTheme = "../etc" }},
		{"loginTheme", func(r *realms.Realm) { r.LoginTheme = "Acme" }},
		{"loginTheme", func(r *realms.Realm) { r.LoginTheme = strings.Repeat("a", 65) }},
	}
	for _, tt := range tests {
		t.Run(tt.field, func(t *testing.T) {
			r := realms.Default("acme")
			tt.change(&r)
			err := r.Validate()
			if iam.ErrorCode(err) != iam.CodeInvalid || iam.ErrorField(err) != tt.field {
				t.Fatalf("err = %v (field %q), want invalid %q", err, iam.ErrorField(err), tt.field)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	r := realms.Default("acme")
	r.SMTP = realms.SMTP{Host: "smtp.acme.test", Port: 465, From: "noreply@acme.test", User: "u", Password: "p", SSL: true}
	r.CORSOrigins = []string{"https://app.acme.test", "http://localhost:3000", "https://[::1]:8443"}
	r.PasswordPolicy = realms.PasswordPolicy{MinLength: 12, HashMemoryKiB: 19456, HashIterations: 2}
	r.SigningAlgorithm = realms.AlgEdDSA
	r.LoginTheme = "acme-2.dark_mode"
	if err := r.Validate(); err != nil {
		t.Fatal(err)
	}
}
