package realmshttp

import (
	"strconv"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

// RealmRepresentation is Keycloak's RealmRepresentation restricted to the
// fields OpenGate supports, plus OpenGate's own (mfaPolicy,
// signingAlgorithm, corsOrigins, duplicateEmailsAllowed). Durations are
// seconds; passwordPolicy is Keycloak's string form; smtpServer is Keycloak's
// map of strings. Pointer fields let a PUT change only what it sends. Unknown
// fields are rejected with the field named.
type RealmRepresentation struct {
	// ID is the realm name, as Keycloak returns it; on input it is ignored
	// unless it differs from the name.
	ID    *string `json:"id,omitempty"`
	Realm *string `json:"realm,omitempty"`
	// RealmID is the realm's immutable id (realms.Realm.ID, not Keycloak's
	// id): only the internal API sends it; it is ignored on input.
	RealmID     *string `json:"realmId,omitempty"`
	DisplayName *string `json:"displayName,omitempty"`
	Enabled     *bool   `json:"enabled,omitempty"`

	AccessTokenLifespan   *int64 `json:"accessTokenLifespan,omitempty"`
	SSOSessionIdleTimeout *int64 `json:"ssoSessionIdleTimeout,omitempty"`
	SSOSessionMaxLifespan *int64 `json:"ssoSessionMaxLifespan,omitempty"`
	AccessCodeLifespan    *int64 `json:"accessCodeLifespan,omitempty"`

	PasswordPolicy *string `json:"passwordPolicy,omitempty"`

	BruteForceProtected   *bool  `json:"bruteForceProtected,omitempty"`
	FailureFactor         *int   `json:"failureFactor,omitempty"`
	WaitIncrementSeconds  *int64 `json:"waitIncrementSeconds,omitempty"`
	MaxFailureWaitSeconds *int64 `json:"maxFailureWaitSeconds,omitempty"`
	MaxDeltaTimeSeconds   *int64 `json:"maxDeltaTimeSeconds,omitempty"`

	RegistrationAllowed    *bool              `json:"registrationAllowed,omitempty"`
	LoginTheme             *string            `json:"loginTheme,omitempty"`
	DuplicateEmailsAllowed *bool              `json:"duplicateEmailsAllowed,omitempty"`
	SMTPServer             *map[string]string `json:"smtpServer,omitempty"`
	Attributes             *map[string]string `json:"attributes,omitempty"`

	MFAPolicy *string `json:"mfaPolicy,omitempty"`
	// SigningAlgorithm is OpenGate's name; DefaultSignatureAlgorithm is
	// Keycloak's for the same setting. Both are returned; on input they must
	// agree when both are sent.
	SigningAlgorithm          *string   `json:"signingAlgorithm,omitempty"`
	DefaultSignatureAlgorithm *string   `json:"defaultSignatureAlgorithm,omitempty"`
	CORSOrigins               *[]string `json:"corsOrigins,omitempty"`

	// The one-time-password policy, on Keycloak's names (seconds for the
	// period).
	OTPPolicyType            *string `json:"otpPolicyType,omitempty"`
	OTPPolicyAlgorithm       *string `json:"otpPolicyAlgorithm,omitempty"`
	OTPPolicyDigits          *int    `json:"otpPolicyDigits,omitempty"`
	OTPPolicyPeriod          *int64  `json:"otpPolicyPeriod,omitempty"`
	OTPPolicyLookAheadWindow *int    `json:"otpPolicyLookAheadWindow,omitempty"`
}

// SMTP keys of Keycloak's smtpServer map.
const (
	smtpHost     = "host"
	smtpPort     = "port"
	smtpFrom     = "from"
	smtpFromName = "fromDisplayName"
	smtpReplyTo  = "replyTo"
	smtpReplyNm  = "replyToDisplayName"
	smtpEnvelope = "envelopeFrom"
	smtpAuth     = "auth"
	smtpUser     = "user"
	smtpPassword = "password"
	smtpSSL      = "ssl"
	smtpStartTLS = "starttls"
)

// fromRealm returns the representation of r. The SMTP password is shown as
// realms.SecretMask, and the realm's ID left out, unless withSecrets (the
// internal API for other services).
func fromRealm(r realms.Realm, withSecrets bool) RealmRepresentation {
	name := string(r.Name)
	smtp := smtpMap(r.SMTP, withSecrets)
	attrs := r.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	cors := r.CORSOrigins
	if cors == nil {
		cors = []string{}
	}
	var realmID *string
	if withSecrets {
		realmID = &r.ID
	}
	return RealmRepresentation{
		ID:                        &name,
		RealmID:                   realmID,
		Realm:                     &name,
		DisplayName:               &r.DisplayName,
		Enabled:                   &r.Enabled,
		AccessTokenLifespan:       seconds(r.AccessTokenLifespan),
		SSOSessionIdleTimeout:     seconds(r.SSOSessionIdleTimeout),
		SSOSessionMaxLifespan:     seconds(r.SSOSessionMaxLifespan),
		AccessCodeLifespan:        seconds(r.AccessCodeLifespan),
		PasswordPolicy:            ptr(r.PasswordPolicy.String()),
		BruteForceProtected:       &r.BruteForce.Enabled,
		FailureFactor:             &r.BruteForce.FailureFactor,
		WaitIncrementSeconds:      seconds(r.BruteForce.WaitIncrement),
		MaxFailureWaitSeconds:     seconds(r.BruteForce.MaxWait),
		MaxDeltaTimeSeconds:       seconds(r.BruteForce.ResetAfter),
		RegistrationAllowed:       &r.RegistrationAllowed,
		LoginTheme:                &r.LoginTheme,
		DuplicateEmailsAllowed:    &r.DuplicateEmailsAllowed,
		SMTPServer:                &smtp,
		Attributes:                &attrs,
		MFAPolicy:                 ptr(string(r.MFA)),
		SigningAlgorithm:          &r.SigningAlgorithm,
		DefaultSignatureAlgorithm: &r.SigningAlgorithm,
		CORSOrigins:               &cors,
		OTPPolicyType:             &r.OTP.Type,
		OTPPolicyAlgorithm:        &r.OTP.Algorithm,
		OTPPolicyDigits:           &r.OTP.Digits,
		OTPPolicyPeriod:           seconds(r.OTP.Period),
		OTPPolicyLookAheadWindow:  &r.OTP.LookAheadWindow,
	}
}

func smtpMap(s realms.SMTP, withSecrets bool) map[string]string {
	m := map[string]string{}
	if s == (realms.SMTP{}) {
		return m
	}
	m[smtpHost] = s.Host
	if s.Port != 0 {
		m[smtpPort] = strconv.Itoa(s.Port)
	}
	m[smtpFrom] = s.From
	for k, v := range map[string]string{smtpFromName: s.FromName, smtpReplyTo: s.ReplyTo, smtpReplyNm: s.ReplyToName, smtpEnvelope: s.EnvelopeFrom} {
		if v != "" {
			m[k] = v
		}
	}
	m[smtpAuth] = strconv.FormatBool(s.User != "")
	if s.User != "" {
		m[smtpUser] = s.User
	}
	if s.Password != "" {
		m[smtpPassword] = realms.SecretMask
		if withSecrets {
			m[smtpPassword] = s.Password
		}
	}
	m[smtpSSL] = strconv.FormatBool(s.SSL)
	m[smtpStartTLS] = strconv.FormatBool(s.StartTLS)
	return m
}

// ParseSMTPServer reads Keycloak's smtpServer map (keys host, port, from,
// fromDisplayName, replyTo, replyToDisplayName, envelopeFrom, auth, user,
// password, ssl, starttls) as parseSMTP does, for other services' APIs
// that take such a map (the notify service's testSMTPConnection). It does
// not validate the values beyond their syntax.
func ParseSMTPServer(m map[string]string) (realms.SMTP, error) { return parseSMTP(m) }

// parseSMTP reads Keycloak's smtpServer map. auth "false" drops user and
// password. Empty values count as absent; an unknown key with a value is
// CodeInvalid naming it.
func parseSMTP(m map[string]string) (realms.SMTP, error) {
	var s realms.SMTP
	auth := true
	for k, v := range m {
		if v == "" {
			continue
		}
		var err error
		switch k {
		case smtpHost:
			s.Host = v
		case smtpPort:
			s.Port, err = strconv.Atoi(v)
		case smtpFrom:
			s.From = v
		case smtpFromName:
			s.FromName = v
		case smtpReplyTo:
			s.ReplyTo = v
		case smtpReplyNm:
			s.ReplyToName = v
		case smtpEnvelope:
			s.EnvelopeFrom = v
		case smtpUser:
			s.User = v
		case smtpPassword:
			s.Password = v
		case smtpAuth:
			auth, err = strconv.ParseBool(v)
		case smtpSSL:
			s.SSL, err = strconv.ParseBool(v)
		case smtpStartTLS:
			s.StartTLS, err = strconv.ParseBool(v)
		default:
			return realms.SMTP{}, iam.Invalidf("smtpServer."+k, "smtpServer.%s is not supported", k)
		}
		if err != nil {
			return realms.SMTP{}, iam.Invalidf("smtpServer."+k, "smtpServer.%s has a malformed value", k)
		}
	}
	if !auth {
		s.User, s.Password = "", ""
	}
	return s, nil
}

// toRealm converts a create request; absent settings are zero, so the
// service applies its defaults. Keycloak creates a realm without "enabled"
// disabled, and so does OpenGate.
func (rep RealmRepresentation) toRealm() (realms.Realm, error) {
	if rep.Realm == nil || *rep.Realm == "" {
		return realms.Realm{}, iam.Invalidf("realm", "realm (the realm's name) is required")
	}
	name, err := iam.ParseRealm(*rep.Realm)
	if err != nil {
		return realms.Realm{}, err
	}
	u, err := rep.toUpdate(name)
	if err != nil {
		return realms.Realm{}, err
	}
	// Keycloak's OTP defaults first, so that an explicit
	// otpPolicyLookAheadWindow of 0 is kept rather than defaulted.
	r := realms.Realm{Name: name, OTP: realms.OTPPolicy{}.WithDefaults()}
	u.Apply(&r)
	return r, nil
}

// toUpdate converts a PUT body for realm name into a partial update.
func (rep RealmRepresentation) toUpdate(name iam.Realm) (realms.Update, error) {
	var u realms.Update
	if rep.Realm != nil && *rep.Realm != string(name) {
		return u, iam.Invalidf("realm", "a realm cannot be renamed")
	}
	if rep.ID != nil && *rep.ID != "" && *rep.ID != string(name) {
		return u, iam.Invalidf("id", "id must be the realm name")
	}
	u.DisplayName = rep.DisplayName
	u.Enabled = rep.Enabled
	u.AccessTokenLifespan = duration(rep.AccessTokenLifespan)
	u.SSOSessionIdleTimeout = duration(rep.SSOSessionIdleTimeout)
	u.SSOSessionMaxLifespan = duration(rep.SSOSessionMaxLifespan)
	u.AccessCodeLifespan = duration(rep.AccessCodeLifespan)
	if rep.PasswordPolicy != nil {
		p, err := realms.ParsePasswordPolicy(*rep.PasswordPolicy)
		if err != nil {
			return u, err
		}
		u.PasswordPolicy = &p
	}
	u.BruteForceEnabled = rep.BruteForceProtected
	u.FailureFactor = rep.FailureFactor
	u.WaitIncrement = duration(rep.WaitIncrementSeconds)
	u.MaxWait = duration(rep.MaxFailureWaitSeconds)
	u.ResetAfter = duration(rep.MaxDeltaTimeSeconds)
	u.RegistrationAllowed = rep.RegistrationAllowed
	u.LoginTheme = rep.LoginTheme
	u.DuplicateEmailsAllowed = rep.DuplicateEmailsAllowed
	if rep.SMTPServer != nil {
		s, err := parseSMTP(*rep.SMTPServer)
		if err != nil {
			return u, err
		}
		u.SMTP = &s
	}
	u.Attributes = rep.Attributes
	if rep.MFAPolicy != nil {
		m := realms.MFAPolicy(*rep.MFAPolicy)
		u.MFA = &m
	}
	u.SigningAlgorithm = rep.SigningAlgorithm
	if rep.DefaultSignatureAlgorithm != nil {
		if rep.SigningAlgorithm != nil && *rep.SigningAlgorithm != *rep.DefaultSignatureAlgorithm {
			return u, iam.Invalidf("defaultSignatureAlgorithm", "defaultSignatureAlgorithm and signingAlgorithm differ")
		}
		u.SigningAlgorithm = rep.DefaultSignatureAlgorithm
	}
	u.CORSOrigins = rep.CORSOrigins
	u.OTPType = rep.OTPPolicyType
	u.OTPAlgorithm = rep.OTPPolicyAlgorithm
	u.OTPDigits = rep.OTPPolicyDigits
	u.OTPPeriod = duration(rep.OTPPolicyPeriod)
	u.OTPLookAheadWindow = rep.OTPPolicyLookAheadWindow
	return u, nil
}

func seconds(d time.Duration) *int64 {
	s := int64(d / time.Second)
	return &s
}

// duration converts seconds; values that would overflow a Duration become
// -1s, which validation rejects.
func duration(s *int64) *time.Duration {
	if s == nil {
		return nil
	}
	if *s > int64((1<<63-1)/time.Second) || *s < 0 {
		d := -time.Second
		return &d
	}
	d := time.Duration(*s) * time.Second
	return &d
}

func ptr[T any](v T) *T { return &v }
