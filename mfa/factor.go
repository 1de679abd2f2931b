package mfa

import (
	"slices"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Factor types.
const (
	// TypeTOTP is an authenticator app (RFC 6238). Keycloak's credential
	// type for it is CredentialOTP.
	TypeTOTP = "totp"
	// TypeRecoveryCodes is a user's set of single-use recovery codes (at
	// most one set per user). Keycloak's credential type for it is
	// CredentialRecoveryCodes.
	TypeRecoveryCodes = "recovery-codes"
)

// Factor is a second factor of a user: an authenticator app (TOTP) or a
// set of recovery codes. Secret and CodeHashes are secret: they never leave
// the Service (Factors and the HTTP API clear them) and never appear in
// events or logs.
type Factor struct {
	ID     string // UUIDv7; the credential id in Keycloak's view
	Realm  iam.Realm
	UserID string
	Type   string // TypeTOTP or TypeRecoveryCodes
	// Label is the name the user gave the factor (Keycloak's userLabel).
	Label     string
	CreatedAt time.Time
	// ConfirmedAt is when the enrolment was confirmed by a first valid
	// code; zero while it is pending. Only confirmed factors count.
	// Recovery codes are confirmed when made.
	ConfirmedAt time.Time

	// TOTP: the shared secret (in clear; stores that keep it at rest seal
	// it) and the parameters of the realm's OTP policy at enrolment, which
	// the authenticator app keeps using whatever the policy becomes (as
	// Keycloak's credentials do).
	Secret    []byte
	Algorithm string // realms.OTPHmacSHA1, OTPHmacSHA256 or OTPHmacSHA512
	Digits    int
	Period    time.Duration

	// Recovery codes: the SHA-256 of each unused code. A used code is
	// removed; the set is void when it is empty.
	CodeHashes [][]byte
}

// Confirmed reports whether the factor counts as a second factor.
func (f Factor) Confirmed() bool { return !f.ConfirmedAt.IsZero() }

// Clone returns a deep copy of f: its secret and hashes share no memory
// with f's.
func (f Factor) Clone() Factor {
	f.Secret = slices.Clone(f.Secret)
	if f.CodeHashes != nil {
		hashes := make([][]byte, len(f.CodeHashes))
		for i, h := range f.CodeHashes {
			hashes[i] = slices.Clone(h)
		}
		f.CodeHashes = hashes
	}
	return f
}

// Public returns f without its secrets (Secret, CodeHashes), for callers
// outside the Service. RemainingCodes tells how many recovery codes are
// left.
func (f Factor) Public() PublicFactor {
	return PublicFactor{ID: f.ID, Realm: f.Realm, UserID: f.UserID, Type: f.Type, Label: f.Label,
		CreatedAt: f.CreatedAt, ConfirmedAt: f.ConfirmedAt, Algorithm: f.Algorithm, Digits: f.Digits,
		Period: f.Period, RemainingCodes: len(f.CodeHashes)}
}

// PublicFactor is a Factor as the Service shows it: no secret, and for
// recovery codes how many are left.
type PublicFactor struct {
	ID          string
	Realm       iam.Realm
	UserID      string
	Type        string
	Label       string
	CreatedAt   time.Time
	ConfirmedAt time.Time
	Algorithm   string        // TOTP
	Digits      int           // TOTP
	Period      time.Duration // TOTP
	// RemainingCodes is the number of unused recovery codes.
	RemainingCodes int
}
