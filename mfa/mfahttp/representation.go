package mfahttp

import (
	"encoding/base64"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/mfa"
)

// FactorRepresentation is a second factor as the API shows it: never its
// secret. Dates are milliseconds since the epoch, as Keycloak's are.
type FactorRepresentation struct {
	ID            string `json:"id"`
	Type          string `json:"type"` // totp, recovery-codes
	UserLabel     string `json:"userLabel"`
	CreatedDate   int64  `json:"createdDate"`
	ConfirmedDate int64  `json:"confirmedDate,omitempty"`
	// TOTP.
	Algorithm string `json:"algorithm,omitempty"`
	Digits    int    `json:"digits,omitempty"`
	Period    int64  `json:"period,omitempty"` // seconds
	// RemainingCodes counts the unused recovery codes.
	RemainingCodes *int `json:"remainingCodes,omitempty"`
}

func toFactor(f mfa.PublicFactor) FactorRepresentation {
	rep := FactorRepresentation{ID: f.ID, Type: f.Type, UserLabel: f.Label, CreatedDate: f.CreatedAt.UnixMilli(),
		Algorithm: f.Algorithm, Digits: f.Digits, Period: int64(f.Period / time.Second)}
	if !f.ConfirmedAt.IsZero() {
		rep.ConfirmedDate = f.ConfirmedAt.UnixMilli()
	}
	if f.Type == mfa.TypeRecoveryCodes {
		n := f.RemainingCodes
		rep.RemainingCodes = &n
	}
	return rep
}

func fromFactor(realm iam.Realm, userID string, rep FactorRepresentation) mfa.PublicFactor {
	f := mfa.PublicFactor{ID: rep.ID, Realm: realm, UserID: userID, Type: rep.Type, Label: rep.UserLabel,
		CreatedAt: time.UnixMilli(rep.CreatedDate).UTC(), Algorithm: rep.Algorithm, Digits: rep.Digits,
		Period: time.Duration(rep.Period) * time.Second}
	if rep.ConfirmedDate != 0 {
		f.ConfirmedAt = time.UnixMilli(rep.ConfirmedDate).UTC()
	}
	if rep.RemainingCodes != nil {
		f.RemainingCodes = *rep.RemainingCodes
	}
	return f
}

// factorList is the answer of the account and admin listings.
type factorList struct {
	Factors []FactorRepresentation `json:"factors"`
}

func toFactors(list []mfa.PublicFactor) []FactorRepresentation {
	out := make([]FactorRepresentation, 0, len(list))
	for _, f := range list {
		out = append(out, toFactor(f))
	}
	return out
}

// EnrolmentRepresentation is a started TOTP enrolment, shown once.
type EnrolmentRepresentation struct {
	FactorID string `json:"factorId"`
	// Secret is the shared secret in base32, for manual entry.
	Secret string `json:"secret"`
	// OTPAuthURI is the otpauth:// key URI.
	OTPAuthURI string `json:"otpauthUri"`
	// QRCode is the URI as a PNG, base64-encoded (standard alphabet, padded):
	// "data:image/png;base64," + qrCode is an image source.
	QRCode    string `json:"qrCode"`
	Algorithm string `json:"algorithm"`
	Digits    int    `json:"digits"`
	Period    int64  `json:"period"`    // seconds
	ExpiresAt int64  `json:"expiresAt"` // ms since the epoch: confirm before
}

func toEnrolment(e mfa.Enrolment) EnrolmentRepresentation {
	return EnrolmentRepresentation{FactorID: e.FactorID, Secret: e.Secret, OTPAuthURI: e.URI,
		QRCode: base64.StdEncoding.EncodeToString(e.QRCode), Algorithm: e.Algorithm, Digits: e.Digits,
		Period: int64(e.Period / time.Second), ExpiresAt: e.ExpiresAt.UnixMilli()}
}

// credentialRepresentation is Keycloak's CredentialRepresentation as the
// credentials listing shows it.
type credentialRepresentation struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	UserLabel   string `json:"userLabel,omitempty"`
	CreatedDate int64  `json:"createdDate"`
}

// lockoutRepresentation is a user's second-factor lockout, on the shape of
// Keycloak's brute-force status.
type lockoutRepresentation struct {
	NumFailures int   `json:"numFailures"`
	Disabled    bool  `json:"disabled"`
	LastFailure int64 `json:"lastFailure"` // ms; 0 if none
}
