package realms

import (
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opengate-iam/opengate/iam"
)

// Bounds on realm settings.
const (
	MaxDisplayNameLength = 255
	MaxAttributes        = 100
	MaxAttributeKey      = 255
	MaxAttributeValue    = 4096
	MaxCORSOrigins       = 100

	MaxAccessTokenLifespan = 24 * time.Hour
	MaxAccessCodeLifespan  = time.Hour
	MaxSessionLifespan     = 365 * 24 * time.Hour
	MaxBruteForceDuration  = 365 * 24 * time.Hour
	MaxFailureFactor       = 1000

	MinOTPPeriod          = 15 * time.Second
	MaxOTPPeriod          = 5 * time.Minute
	MaxOTPLookAheadWindow = 10
)

// Validate checks every setting of r and returns the first problem as
// CodeInvalid naming the field by its RealmRepresentation name (e.g.
// "accessTokenLifespan", "smtpServer.from"). Durations must be whole
// seconds, positive and within bounds.
func (r Realm) Validate() error {
	if err := r.Name.Validate(); err != nil {
		return err
	}
	if utf8.RuneCountInString(r.DisplayName) > MaxDisplayNameLength || !utf8.ValidString(r.DisplayName) || hasControl(r.DisplayName) {
		return iam.Invalidf("displayName", "displayName must be at most %d printable characters", MaxDisplayNameLength)
	}
	lifespans := []struct {
		field string
		d     time.Duration
		max   time.Duration
	}{
		{"accessTokenLifespan", r.AccessTokenLifespan, MaxAccessTokenLifespan},
		{"ssoSessionIdleTimeout", r.SSOSessionIdleTimeout, MaxSessionLifespan},
		{"ssoSessionMaxLifespan", r.SSOSessionMaxLifespan, MaxSessionLifespan},
		{"accessCodeLifespan", r.AccessCodeLifespan, MaxAccessCodeLifespan},
	}
	for _, l := range lifespans {
		if err := checkDuration(l.field, l.d, time.Second, l.max); err != nil {
			return err
		}
	}
	if err := r.PasswordPolicy.Validate(); err != nil {
		return err
	}
	if err := r.BruteForce.validate(); err != nil {
		return err
	}
	switch r.MFA {
	case MFAOff, MFAOptional, MFARequired:
	default:
		return iam.Invalidf("mfaPolicy", "mfaPolicy must be off, optional or required")
	}
	if err := r.OTP.Validate(); err != nil {
		return err
	}
	switch r.SigningAlgorithm {
	case AlgRS256, AlgES256, AlgEdDSA:
	default:
		return iam.Invalidf("signingAlgorithm", "signingAlgorithm must be RS256, ES256 or EdDSA")
	}
	if err := r.SMTP.Validate(); err != nil {
		return err
	}
	if !validThemeName(r.LoginTheme) {
		return iam.Invalidf("loginTheme", "loginTheme must be empty or a theme directory's name: up to 64 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit")
	}
	if len(r.CORSOrigins) > MaxCORSOrigins {
		return iam.Invalidf("corsOrigins", "at most %d corsOrigins", MaxCORSOrigins)
	}
	for _, o := range r.CORSOrigins {
		if err := ValidateOrigin(o); err != nil {
			return iam.Invalidf("corsOrigins", "corsOrigins: %s", iam.ErrorMessage(err))
		}
	}
	return validateAttributes(r.Attributes)
}

func (b BruteForce) validate() error {
	if b.FailureFactor < 1 || b.FailureFactor > MaxFailureFactor {
		return iam.Invalidf("failureFactor", "failureFactor must be between 1 and %d", MaxFailureFactor)
	}
	durations := []struct {
		field string
		d     time.Duration
	}{
		{"waitIncrementSeconds", b.WaitIncrement},
		{"maxFailureWaitSeconds", b.MaxWait},
		{"maxDeltaTimeSeconds", b.ResetAfter},
	}
	for _, d := range durations {
		if err := checkDuration(d.field, d.d, time.Second, MaxBruteForceDuration); err != nil {
			return err
		}
	}
	if b.MaxWait < b.WaitIncrement {
		return iam.Invalidf("maxFailureWaitSeconds", "maxFailureWaitSeconds must not be less than waitIncrementSeconds")
	}
	return nil
}

// Validate checks the OTP policy, naming the offending setting by its
// RealmRepresentation name (CodeInvalid).
func (p OTPPolicy) Validate() error {
	if p.Type != OTPTypeTOTP {
		return iam.Invalidf("otpPolicyType", "otpPolicyType must be %q (hotp is not supported)", OTPTypeTOTP)
	}
	switch p.Algorithm {
	case OTPHmacSHA1, OTPHmacSHA256, OTPHmacSHA512:
	default:
		return iam.Invalidf("otpPolicyAlgorithm", "otpPolicyAlgorithm must be HmacSHA1, HmacSHA256 or HmacSHA512")
	}
	if p.Digits != 6 && p.Digits != 8 {
		return iam.Invalidf("otpPolicyDigits", "otpPolicyDigits must be 6 or 8")
	}
	if err := checkDuration("otpPolicyPeriod", p.Period, MinOTPPeriod, MaxOTPPeriod); err != nil {
		return err
	}
	if p.LookAheadWindow < 0 || p.LookAheadWindow > MaxOTPLookAheadWindow {
		return iam.Invalidf("otpPolicyLookAheadWindow", "otpPolicyLookAheadWindow must be between 0 and %d", MaxOTPLookAheadWindow)
	}
	return nil
}

// Validate checks the settings as a realm update does: a host name, a
// bare From address, printable names, a real password (not SecretMask)
// with its user, not both SSL and StartTLS. An empty SMTP is valid (no
// settings). Errors are CodeInvalid naming the smtpServer key.
func (s SMTP) Validate() error {
	if s == (SMTP{}) {
		return nil
	}
	if s.Host == "" || len(s.Host) > 255 || strings.ContainsAny(s.Host, " /@\t\r\n") || !utf8.ValidString(s.Host) || hasControl(s.Host) {
		return iam.Invalidf("smtpServer.host", "smtpServer.host must be a host name")
	}
	if s.Port < 0 || s.Port > 65535 {
		return iam.Invalidf("smtpServer.port", "smtpServer.port must be between 0 (the default port) and 65535")
	}
	addr, err := mail.ParseAddress(s.From)
	if err != nil || addr.Address != s.From {
		return iam.Invalidf("smtpServer.from", "smtpServer.from must be a bare email address")
	}
	if len(s.FromName) > 255 || hasControl(s.FromName) {
		return iam.Invalidf("smtpServer.fromDisplayName", "smtpServer.fromDisplayName must be at most 255 printable characters")
	}
	for _, a := range []struct{ field, value string }{{"replyTo", s.ReplyTo}, {"envelopeFrom", s.EnvelopeFrom}} {
		if addr, err := mail.ParseAddress(a.value); a.value != "" && (err != nil || addr.Address != a.value) {
			return iam.Invalidf("smtpServer."+a.field, "smtpServer.%s must be a bare email address", a.field)
		}
	}
	if len(s.ReplyToName) > 255 || hasControl(s.ReplyToName) {
		return iam.Invalidf("smtpServer.replyToDisplayName", "smtpServer.replyToDisplayName must be at most 255 printable characters")
	}
	if len(s.User) > 255 || hasControl(s.User) {
		return iam.Invalidf("smtpServer.user", "smtpServer.user must be at most 255 printable characters")
	}
	if s.Password == SecretMask {
		return iam.Invalidf("smtpServer.password", "smtpServer.password must be the password, not the mask %q", SecretMask)
	}
	if len(s.Password) > 1024 {
		return iam.Invalidf("smtpServer.password", "smtpServer.password is too long")
	}
	if s.Password != "" && s.User == "" {
		return iam.Invalidf("smtpServer.user", "smtpServer.user is required with a password")
	}
	if s.SSL && s.StartTLS {
		return iam.Invalidf("smtpServer.starttls", "choose either ssl or starttls")
	}
	return nil
}

// ValidateOrigin checks that o is a web origin: "http" or "https", a host, an
// optional port and nothing else (no path, query, fragment, user info or
// wildcard). Errors are CodeInvalid.
func ValidateOrigin(o string) error {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.Contains(o, "#") ||
		strings.Contains(o, "*") || strings.HasSuffix(o, "/") {
		return iam.Invalidf("origin", "%q is not an origin (scheme://host[:port], no wildcard)", truncate(o, 100))
	}
	return nil
}

func validateAttributes(attrs map[string]string) error {
	if len(attrs) > MaxAttributes {
		return iam.Invalidf("attributes", "at most %d attributes", MaxAttributes)
	}
	for k, v := range attrs {
		if k == "" || len(k) > MaxAttributeKey || !utf8.ValidString(k) || hasControl(k) {
			return iam.Invalidf("attributes", "attribute names must be 1 to %d printable characters", MaxAttributeKey)
		}
		if len(v) > MaxAttributeValue {
			return iam.Invalidf("attributes", "attribute %q is longer than %d bytes", truncate(k, 50), MaxAttributeValue)
		}
		if !iam.IsText(v) {
			return iam.Invalidf("attributes", "attribute %q must be UTF-8 without control characters other than tab and newlines", truncate(k, 50))
		}
	}
	return nil
}

func checkDuration(field string, d, min, max time.Duration) error {
	if d < min || d > max || d%time.Second != 0 {
		return iam.Invalidf(field, "%s must be a whole number of seconds between %d and %d",
			field, int64(min/time.Second), int64(max/time.Second))
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// validThemeName reports whether name may name a theme directory: empty
// (the default theme), or 1 to 64 characters of [a-z0-9._-] starting with
// a letter or digit (so never "..", never a path).
func validThemeName(name string) bool {
	if name == "" {
		return true
	}
	if len(name) > 64 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '.' || c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}
