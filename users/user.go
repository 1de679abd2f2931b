package users

import (
	"maps"
	"slices"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// User is a person of a realm (Keycloak's UserRepresentation). Username is
// unique per realm and stored lowercase; Email is unique per realm unless the
// realm allows duplicates. Credentials are never part of a User.
type User struct {
	ID              string // UUIDv7
	Realm           iam.Realm
	Username        string
	Email           string
	EmailVerified   bool
	FirstName       string
	LastName        string
	Enabled         bool
	Attributes      map[string][]string
	RequiredActions []string
	// Extra holds the fields of Keycloak's UserRepresentation OpenGate
	// does not implement (notBefore, federatedIdentities, …), as the admin
	// API received them: stored and returned verbatim, never enforced.
	Extra     iam.Extra
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Required actions a user must complete at next login.
const (
	ActionVerifyEmail    = "VERIFY_EMAIL"
	ActionUpdatePassword = "UPDATE_PASSWORD"
	ActionConfigureTOTP  = "CONFIGURE_TOTP"
	ActionUpdateProfile  = "UPDATE_PROFILE"
)

// FullName is "First Last" without stray spaces.
func (u User) FullName() string {
	switch {
	case u.FirstName == "":
		return u.LastName
	case u.LastName == "":
		return u.FirstName
	}
	return u.FirstName + " " + u.LastName
}

// Clone returns a deep copy of u: its attributes and required actions share
// no memory with u's.
func (u User) Clone() User {
	u.RequiredActions = slices.Clone(u.RequiredActions)
	u.Extra = u.Extra.Clone()
	if u.Attributes != nil {
		attrs := maps.Clone(u.Attributes)
		for k, v := range attrs {
			attrs[k] = slices.Clone(v)
		}
		u.Attributes = attrs
	}
	return u
}
