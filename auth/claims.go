package auth

import (
	"encoding/json"

	"github.com/opengate-iam/opengate/auth/authjwt"
)

// Values of the typ claim (Keycloak's).
const (
	TypeBearer  = authjwt.TypeBearer
	TypeID      = authjwt.TypeID
	TypeRefresh = authjwt.TypeRefresh
)

// Audience is the aud claim: a single string or an array of strings on the
// wire (RFC 7519 §4.1.3).
type Audience = authjwt.Audience

// Roles is the {"roles": [...]} object of realm_access and resource_access.
type Roles = authjwt.Roles

// AccessClaims are the claims of an access token. The type, and the policy
// that verifies it, live in authjwt so that auth and authverify share them.
type AccessClaims = authjwt.AccessClaims

// IDClaims are the claims of an ID token.
type IDClaims struct {
	ExpiresAt         int64    `json:"exp"`
	IssuedAt          int64    `json:"iat"`
	AuthTime          int64    `json:"auth_time"`
	ID                string   `json:"jti"`
	Issuer            string   `json:"iss"`
	Audience          Audience `json:"aud"`
	Subject           string   `json:"sub"`
	Type              string   `json:"typ"`
	AuthorizedParty   string   `json:"azp"`
	Nonce             string   `json:"nonce,omitempty"`
	SessionID         string   `json:"sid,omitempty"`
	AccessTokenHash   string   `json:"at_hash"`
	PreferredUsername string   `json:"preferred_username,omitempty"`
	Email             string   `json:"email,omitempty"`
	EmailVerified     *bool    `json:"email_verified,omitempty"`
	Name              string   `json:"name,omitempty"`
	GivenName         string   `json:"given_name,omitempty"`
	FamilyName        string   `json:"family_name,omitempty"`
}

// UserInfo is the userinfo response: sub, claims by the token's scope, and
// the claims of the client's protocol mappers (Other, added to the JSON
// object; never one of the names above).
type UserInfo struct {
	Subject           string         `json:"sub"`
	PreferredUsername string         `json:"preferred_username,omitempty"`
	Email             string         `json:"email,omitempty"`
	EmailVerified     *bool          `json:"email_verified,omitempty"`
	Name              string         `json:"name,omitempty"`
	GivenName         string         `json:"given_name,omitempty"`
	FamilyName        string         `json:"family_name,omitempty"`
	Other             map[string]any `json:"-"`
}

// MarshalJSON writes the claims, Other's among them.
func (u UserInfo) MarshalJSON() ([]byte, error) {
	type plain UserInfo // without this method
	b, err := json.Marshal(plain(u))
	if err != nil {
		return nil, err
	}
	return withClaims(b, u.Other)
}
