package realms

import (
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Defaults of a new realm. Zero-valued settings given to Service.Create take
// these values.
const (
	DefaultAccessTokenLifespan   = 5 * time.Minute
	DefaultSSOSessionIdleTimeout = 30 * time.Minute
	DefaultSSOSessionMaxLifespan = 10 * time.Hour
	DefaultAccessCodeLifespan    = 60 * time.Second
	DefaultMFAPolicy             = MFAOptional
	DefaultSigningAlgorithm      = AlgRS256

	// Brute-force defaults are Keycloak's; protection itself is off by
	// default, as in Keycloak.
	DefaultFailureFactor = 30
	DefaultWaitIncrement = time.Minute
	DefaultMaxWait       = 15 * time.Minute
	DefaultResetAfter    = 12 * time.Hour

	// OTP defaults are Keycloak's.
	DefaultOTPType            = OTPTypeTOTP
	DefaultOTPAlgorithm       = OTPHmacSHA1
	DefaultOTPDigits          = 6
	DefaultOTPPeriod          = 30 * time.Second
	DefaultOTPLookAheadWindow = 1
)

// Default returns an enabled realm called name with every default setting.
func Default(name iam.Realm) Realm {
	r := Realm{Name: name, Enabled: true}
	r.applyDefaults()
	return r
}

// applyDefaults fills zero-valued settings with their defaults.
func (r *Realm) applyDefaults() {
	setDuration(&r.AccessTokenLifespan, DefaultAccessTokenLifespan)
	setDuration(&r.SSOSessionIdleTimeout, DefaultSSOSessionIdleTimeout)
	setDuration(&r.SSOSessionMaxLifespan, DefaultSSOSessionMaxLifespan)
	setDuration(&r.AccessCodeLifespan, DefaultAccessCodeLifespan)
	if r.MFA == "" {
		r.MFA = DefaultMFAPolicy
	}
	if r.SigningAlgorithm == "" {
		r.SigningAlgorithm = DefaultSigningAlgorithm
	}
	if r.BruteForce.FailureFactor == 0 {
		r.BruteForce.FailureFactor = DefaultFailureFactor
	}
	setDuration(&r.BruteForce.WaitIncrement, DefaultWaitIncrement)
	setDuration(&r.BruteForce.MaxWait, DefaultMaxWait)
	setDuration(&r.BruteForce.ResetAfter, DefaultResetAfter)
	r.OTP = r.OTP.WithDefaults()
}

// WithDefaults returns p with Keycloak's defaults in its zero-valued
// settings, except LookAheadWindow, whose zero is a setting (no drift
// allowed): a policy that sets nothing at all gets the default window too.
func (p OTPPolicy) WithDefaults() OTPPolicy {
	if p == (OTPPolicy{}) {
		p.LookAheadWindow = DefaultOTPLookAheadWindow
	}
	if p.Type == "" {
		p.Type = DefaultOTPType
	}
	if p.Algorithm == "" {
		p.Algorithm = DefaultOTPAlgorithm
	}
	if p.Digits == 0 {
		p.Digits = DefaultOTPDigits
	}
	setDuration(&p.Period, DefaultOTPPeriod)
	return p
}

func setDuration(d *time.Duration, def time.Duration) {
	if *d == 0 {
		*d = def
	}
}

// Clone returns a deep copy of r: its slices and maps are not shared.
func (r Realm) Clone() Realm {
	c := r
	if r.CORSOrigins != nil {
		c.CORSOrigins = append([]string{}, r.CORSOrigins...)
	}
	if r.Attributes != nil {
		c.Attributes = make(map[string]string, len(r.Attributes))
		for k, v := range r.Attributes {
			c.Attributes[k] = v
		}
	}
	c.Extra = r.Extra.Clone()
	return c
}
