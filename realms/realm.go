package realms

import (
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Realm is a tenant and its settings. Name is its key in every API and
// store; ID tells apart the realms that bore one name in turn. Every other
// service reads realms through Service.Get (cached).
type Realm struct {
	Name iam.Realm
	// ID is the realm's immutable id, assigned by Service.Create: a realm
	// deleted and created again under the same name gets another one.
	// Tokens carry it (the realm_id claim), so that those of a deleted realm
	// never work in its successor. Stores keep it as given and never change
	// it on Update.
	ID          string
	DisplayName string
	Enabled     bool

	// Token and session lifespans.
	AccessTokenLifespan   time.Duration // default 5m
	SSOSessionIdleTimeout time.Duration // refresh token / session idle; default 30m
	SSOSessionMaxLifespan time.Duration // default 10h
	AccessCodeLifespan    time.Duration // authorization code; default 60s

	PasswordPolicy PasswordPolicy
	BruteForce     BruteForce
	MFA            MFAPolicy
	// OTP is how one-time passwords of the realm's authenticator apps are
	// made (Keycloak's otpPolicy* settings).
	OTP OTPPolicy
	// SigningAlgorithm is the JWS algorithm of the realm's tokens: RS256
	// (default), ES256 or EdDSA.
	SigningAlgorithm string

	SMTP                SMTP
	CORSOrigins         []string
	RegistrationAllowed bool
	// LoginTheme names the theme of the realm's login and account pages:
	// a directory of the deployment's themes (Keycloak's loginTheme); ""
	// or a theme the deployment does not have means the default theme.
	LoginTheme string
	// DuplicateEmailsAllowed lets two users of the realm share an email.
	DuplicateEmailsAllowed bool
	Attributes             map[string]string
	// Extra holds the fields of Keycloak's RealmRepresentation OpenGate
	// does not implement (sslRequired, browserSecurityHeaders, …), as the
	// admin API received them: stored and returned verbatim, never
	// enforced. Stores keep it with the realm's other settings.
	Extra iam.Extra

	CreatedAt time.Time
	UpdatedAt time.Time
}

// PasswordPolicy is the realm's password policy. Zero values disable a rule.
type PasswordPolicy struct {
	MinLength       int
	Digits          int // at least this many digits
	UpperCase       int
	LowerCase       int
	SpecialChars    int
	NotUsername     bool
	NotEmail        bool
	PasswordHistory int // reject the last N passwords
	// HashIterations overrides argon2id's time cost (t) when > 0.
	HashIterations int
	// HashMemoryKiB overrides argon2id's memory cost when > 0.
	HashMemoryKiB int
}

// BruteForce configures login-failure lockout, with Keycloak's semantics.
type BruteForce struct {
	Enabled bool
	// FailureFactor is the number of failures before a wait is imposed.
	FailureFactor int
	// WaitIncrement is added to the wait for every FailureFactor failures.
	WaitIncrement time.Duration
	// MaxWait caps the wait.
	MaxWait time.Duration
	// ResetAfter (Keycloak's maxDeltaTimeSeconds) forgets failures older
	// than this.
	ResetAfter time.Duration
}

// MFAPolicy says whether users must, may or cannot use a second factor.
type MFAPolicy string

// MFA policies.
const (
	MFAOff      MFAPolicy = "off"
	MFAOptional MFAPolicy = "optional"
	MFARequired MFAPolicy = "required"
)

// OTPPolicy is the realm's one-time-password policy, on Keycloak's
// settings (otpPolicyType, otpPolicyAlgorithm, otpPolicyDigits,
// otpPolicyPeriod, otpPolicyLookAheadWindow). Algorithm, Digits and Period
// apply to authenticators enrolled from then on (each keeps those it was
// enrolled with, as Keycloak's credentials do); LookAheadWindow applies to
// the verification of every code.
type OTPPolicy struct {
	// Type is OTPTypeTOTP (RFC 6238), the only type OpenGate supports.
	Type string
	// Algorithm is the HMAC of the codes: OTPHmacSHA1 (default, what every
	// authenticator app supports), OTPHmacSHA256 or OTPHmacSHA512.
	Algorithm string
	// Digits is the length of a code: 6 (default) or 8.
	Digits int
	// Period is how long one code lasts (default 30s), whole seconds.
	Period time.Duration
	// LookAheadWindow is how many periods before and after the current one
	// a code is still accepted, for clocks that drift (default 1).
	LookAheadWindow int
}

// OTP policy values.
const (
	OTPTypeTOTP   = "totp"
	OTPHmacSHA1   = "HmacSHA1"
	OTPHmacSHA256 = "HmacSHA256"
	OTPHmacSHA512 = "HmacSHA512"
)

// SMTP holds the sender settings of the realm's mail. Password is a secret:
// it is never returned by the admin API.
type SMTP struct {
	Host     string
	Port     int
	From     string
	FromName string
	// ReplyTo and ReplyToName are the Reply-To of the realm's mail ("" for
	// none); EnvelopeFrom is the SMTP envelope sender (bounces), if not
	// From.
	ReplyTo      string
	ReplyToName  string
	EnvelopeFrom string
	User         string
	Password     string
	StartTLS     bool
	SSL          bool
}

// Signing algorithms a realm may choose.
const (
	AlgRS256 = "RS256"
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA"
)
