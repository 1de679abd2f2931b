package realms

import (
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// SecretMask stands for a stored secret in representations: the admin API
// shows it instead of the SMTP password, and an update that sends it back
// keeps the stored password (as Keycloak does).
const SecretMask = "**********"

// Update is a partial change of a realm: nil fields stay unchanged. Slices
// and maps replace the current value as a whole.
type Update struct {
	DisplayName *string
	Enabled     *bool

	AccessTokenLifespan   *time.Duration
	SSOSessionIdleTimeout *time.Duration
	SSOSessionMaxLifespan *time.Duration
	AccessCodeLifespan    *time.Duration

	PasswordPolicy *PasswordPolicy

	BruteForceEnabled *bool
	FailureFactor     *int
	WaitIncrement     *time.Duration
	MaxWait           *time.Duration
	ResetAfter        *time.Duration

	MFA              *MFAPolicy
	SigningAlgorithm *string

	OTPType            *string
	OTPAlgorithm       *string
	OTPDigits          *int
	OTPPeriod          *time.Duration
	OTPLookAheadWindow *int

	// SMTP replaces the sender settings. A Password equal to SecretMask
	// keeps the stored password; an empty SMTP{} removes the settings.
	SMTP *SMTP

	CORSOrigins            *[]string
	RegistrationAllowed    *bool
	LoginTheme             *string
	DuplicateEmailsAllowed *bool
	Attributes             *map[string]string
	// Extra's fields are set over the realm's Extra, one by one (the others
	// are kept, as Keycloak keeps the fields a PUT does not send).
	Extra iam.Extra
}

// Apply changes r by u, as Service.Update does before validating: a SMTP
// password equal to SecretMask keeps r's password.
func (u Update) Apply(r *Realm) {
	setIf(&r.DisplayName, u.DisplayName)
	setIf(&r.Enabled, u.Enabled)
	setIf(&r.AccessTokenLifespan, u.AccessTokenLifespan)
	setIf(&r.SSOSessionIdleTimeout, u.SSOSessionIdleTimeout)
	setIf(&r.SSOSessionMaxLifespan, u.SSOSessionMaxLifespan)
	setIf(&r.AccessCodeLifespan, u.AccessCodeLifespan)
	setIf(&r.PasswordPolicy, u.PasswordPolicy)
	setIf(&r.BruteForce.Enabled, u.BruteForceEnabled)
	setIf(&r.BruteForce.FailureFactor, u.FailureFactor)
	setIf(&r.BruteForce.WaitIncrement, u.WaitIncrement)
	setIf(&r.BruteForce.MaxWait, u.MaxWait)
	setIf(&r.BruteForce.ResetAfter, u.ResetAfter)
	setIf(&r.MFA, u.MFA)
	setIf(&r.SigningAlgorithm, u.SigningAlgorithm)
	setIf(&r.OTP.Type, u.OTPType)
	setIf(&r.OTP.Algorithm, u.OTPAlgorithm)
	setIf(&r.OTP.Digits, u.OTPDigits)
	setIf(&r.OTP.Period, u.OTPPeriod)
	setIf(&r.OTP.LookAheadWindow, u.OTPLookAheadWindow)
	if u.SMTP != nil {
		smtp := *u.SMTP
		if smtp.Password == SecretMask {
			smtp.Password = r.SMTP.Password
		}
		r.SMTP = smtp
	}
	if u.CORSOrigins != nil {
		r.CORSOrigins = append([]string{}, (*u.CORSOrigins)...)
	}
	setIf(&r.RegistrationAllowed, u.RegistrationAllowed)
	setIf(&r.LoginTheme, u.LoginTheme)
	setIf(&r.DuplicateEmailsAllowed, u.DuplicateEmailsAllowed)
	if u.Attributes != nil {
		r.Attributes = make(map[string]string, len(*u.Attributes))
		for k, v := range *u.Attributes {
			r.Attributes[k] = v
		}
	}
	if len(u.Extra) > 0 {
		r.Extra = r.Extra.Merge(u.Extra)
	}
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}
