package mfa

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
	"github.com/opengate-iam/opengate/users"
)

// MaxLabelLength bounds a factor's label.
const MaxLabelLength = 255

// Enrolment is a started TOTP enrolment: what the user's authenticator app
// needs, shown once. The factor counts only once ConfirmTOTP has seen a
// first valid code, before ExpiresAt.
type Enrolment struct {
	FactorID string
	// Secret is the shared secret in base32, for manual entry.
	Secret string
	// URI is the otpauth:// URI (Google Authenticator's key URI format).
	URI string
	// QRCode is URI as a PNG image of QRCodeSize pixels square.
	QRCode    []byte
	Algorithm string
	Digits    int
	Period    time.Duration
	ExpiresAt time.Time
}

// StartTOTP starts enrolling an authenticator app for the user: a new
// secret under the realm's OTP policy, labelled label (default
// "Authenticator"), shown in the app as "{realm display name or
// name}:{accountName}". Earlier unconfirmed enrolments of the user are
// dropped. Errors: CodeNotFound for an unknown realm; CodeForbidden when
// the realm's mfaPolicy is off; CodeInvalid for a malformed user id, label
// or account name; CodeConflict when the user has MaxTOTPFactors
// authenticators already.
func (s *Service) StartTOTP(ctx context.Context, realm iam.Realm, userID, accountName, label string) (Enrolment, error) {
	const op = "mfa.StartTOTP"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return Enrolment{}, iam.Wrap(op, err)
	}
	if r.MFA == realms.MFAOff {
		return Enrolment{}, iam.Wrap(op, iam.Errorf(iam.CodeForbidden, "second factors are off in this realm"))
	}
	if err := checkUser(userID); err != nil {
		return Enrolment{}, iam.Wrap(op, err)
	}
	if label == "" {
		label = "Authenticator"
	}
	if err := checkLabel(label); err != nil {
		return Enrolment{}, iam.Wrap(op, err)
	}
	if accountName == "" {
		accountName = userID
	}
	if utf8.RuneCountInString(accountName) > 255 || !iam.IsText(accountName) {
		return Enrolment{}, iam.Wrap(op, iam.Invalidf("accountName", "the account name must be at most 255 characters of text"))
	}
	all, err := s.store.List(ctx, realm, userID)
	if err != nil {
		return Enrolment{}, iam.Wrap(op, err)
	}
	n := 0
	for _, f := range all {
		switch {
		case f.Type != TypeTOTP:
		case f.Confirmed():
			n++
		default:
			// A new enrolment replaces an unfinished one.
			if err := s.store.Delete(ctx, realm, userID, f.ID); err != nil && iam.ErrorCode(err) != iam.CodeNotFound {
				return Enrolment{}, iam.Wrap(op, err)
			}
		}
	}
	if n >= MaxTOTPFactors {
		return Enrolment{}, iam.Wrap(op, iam.Conflictf("at most %d authenticators per user: remove one first", MaxTOTPFactors))
	}
	p := r.OTP
	f := Factor{ID: iam.NewID(), Realm: realm, UserID: userID, Type: TypeTOTP, Label: label, CreatedAt: s.timestamp(),
		Secret: newSecret(p.Algorithm), Algorithm: p.Algorithm, Digits: p.Digits, Period: p.Period}
	issuer := r.DisplayName
	if issuer == "" {
		issuer = string(r.Name)
	}
	key, err := enrolmentKey(f, issuer, accountName)
	if err != nil {
		return Enrolment{}, iam.Wrap(op, err)
	}
	png, err := qrCode(key)
	if err != nil {
		return Enrolment{}, iam.Wrap(op, err)
	}
	if err := s.store.Create(ctx, f); err != nil {
		return Enrolment{}, iam.Wrap(op, err)
	}
	return Enrolment{FactorID: f.ID, Secret: EncodeSecret(f.Secret), URI: key.URL(), QRCode: png,
		Algorithm: f.Algorithm, Digits: f.Digits, Period: f.Period, ExpiresAt: f.CreatedAt.Add(EnrolmentLifespan)}, nil
}

// checkLabel validates a factor's label.
func checkLabel(label string) error {
	if utf8.RuneCountInString(label) > MaxLabelLength || !iam.IsText(label) {
		return iam.Invalidf("userLabel", "the label must be at most %d characters of text", MaxLabelLength)
	}
	return nil
}

// errEnrolmentGone is the answer for an enrolment that is unknown,
// expired or already confirmed.
func errEnrolmentGone() error {
	return iam.NotFoundf("no enrolment in progress with this id: start again")
}

// ConfirmTOTP confirms the user's pending enrolment factorID with a code of
// the authenticator app, within the realm's window (the code's step is then
// used: it cannot log in again). From then on the authenticator is a second
// factor, and the user's CONFIGURE_TOTP required action is completed
// (WithRequiredActions; a failure to is logged: the password grant treats
// the action as done once an authenticator is confirmed). Errors:
// CodeNotFound when there is no such pending enrolment (unknown, expired
// after EnrolmentLifespan, or already confirmed); CodeInvalid (field
// "code") for a wrong code. Wrong codes here do not count towards the
// lockout: the caller is already signed in and has just been shown the
// secret.
func (s *Service) ConfirmTOTP(ctx context.Context, realm iam.Realm, userID, factorID, code string) (PublicFactor, error) {
	const op = "mfa.ConfirmTOTP"
	r, err := s.realm(ctx, realm)
	if err != nil {
		return PublicFactor{}, iam.Wrap(op, err)
	}
	if err := checkUser(userID); err != nil {
		return PublicFactor{}, iam.Wrap(op, err)
	}
	f, err := s.store.Get(ctx, realm, userID, factorID)
	now := s.now()
	switch {
	case iam.ErrorCode(err) == iam.CodeNotFound:
		return PublicFactor{}, iam.Wrap(op, errEnrolmentGone())
	case err != nil:
		return PublicFactor{}, iam.Wrap(op, err)
	case f.Type != TypeTOTP || f.Confirmed() || now.After(f.CreatedAt.Add(EnrolmentLifespan)):
		return PublicFactor{}, iam.Wrap(op, errEnrolmentGone())
	}
	code = normalizeCode(code)
	st, err := matchTOTP(f, code, now, r.OTP.LookAheadWindow)
	if err != nil {
		return PublicFactor{}, iam.Wrap(op, err)
	}
	if st < 0 {
		return PublicFactor{}, iam.Wrap(op, iam.Invalidf("code", "the code is not the authenticator's current code"))
	}
	fresh, err := s.state.UseStep(ctx, realm, f.ID, st, replayTTL(f, r.OTP.LookAheadWindow))
	if err != nil {
		return PublicFactor{}, iam.Wrap(op, err)
	}
	if !fresh {
		return PublicFactor{}, iam.Wrap(op, iam.Invalidf("code", "this code was used already: wait for the next one"))
	}
	confirmed, err := s.store.Update(ctx, realm, userID, factorID, func(f *Factor) error {
		if f.Confirmed() {
			return errEnrolmentGone()
		}
		f.ConfirmedAt = s.timestamp()
		return nil
	})
	if iam.ErrorCode(err) == iam.CodeNotFound {
		err = errEnrolmentGone()
	}
	if err != nil {
		return PublicFactor{}, iam.Wrap(op, err)
	}
	if s.actions != nil {
		if err := s.actions.CompleteRequiredAction(ctx, realm, userID, users.ActionConfigureTOTP); err != nil {
			s.log.WarnContext(ctx, "mfa: could not complete CONFIGURE_TOTP", "realm", string(realm), "user", userID,
				"error", iam.ErrorMessage(err))
		}
	}
	return confirmed.Public(), nil
}
