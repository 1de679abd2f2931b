package auth

import (
	"encoding/json"
)

// Values of the typ claim (Keycloak's).
const (
	TypeBearer  = "Bearer"
	TypeID      = "ID"
	TypeRefresh = "Refresh"
)

// Audience is the aud claim: a single string or an array of strings on the
// wire (RFC 7519 §4.1.3); it marshals one value as a string.
type Audience []string

// MarshalJSON writes one audience as a string, several as an array.
func (a Audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// UnmarshalJSON reads a string or an array of strings.
func (a *Audience) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = Audience{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return err
	}
	*a = ss
	return nil
}

// Contains reports whether aud is one of the audiences.
func (a Audience) Contains(aud string) bool {
	for _, x := range a {
		if x == aud {
			return true
		}
	}
	return false
}

// Roles is the {"roles": [...]} object of realm_access and resource_access.
type Roles struct {
	Roles []string `json:"roles"`
}

// AccessClaims are the claims of an access token (Keycloak's, plus realm).
type AccessClaims struct {
	ExpiresAt         int64            `json:"exp"`
	IssuedAt          int64            `json:"iat"`
	ID                string           `json:"jti,omitempty"`
	Issuer            string           `json:"iss"`
	Audience          Audience         `json:"aud,omitempty"`
	Subject           string           `json:"sub"`
	Type              string           `json:"typ"`
	AuthorizedParty   string           `json:"azp"`
	SessionID         string           `json:"sid,omitempty"`
	Scope             string           `json:"scope"`
	Realm             string           `json:"realm"`
	ClientID          string           `json:"client_id,omitempty"` // service accounts only
	RealmAccess       *Roles           `json:"realm_access,omitempty"`
	ResourceAccess    map[string]Roles `json:"resource_access,omitempty"`
	PreferredUsername string           `json:"preferred_username,omitempty"`
	Email             string           `json:"email,omitempty"`
	EmailVerified     *bool            `json:"email_verified,omitempty"`
	Name              string           `json:"name,omitempty"`
	GivenName         string           `json:"given_name,omitempty"`
	FamilyName        string           `json:"family_name,omitempty"`
}

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

// UserInfo is the userinfo response: sub, and claims by the token's scope.
type UserInfo struct {
	Subject           string `json:"sub"`
	PreferredUsername string `json:"preferred_username,omitempty"`
	Email             string `json:"email,omitempty"`
	EmailVerified     *bool  `json:"email_verified,omitempty"`
	Name              string `json:"name,omitempty"`
	GivenName         string `json:"given_name,omitempty"`
	FamilyName        string `json:"family_name,omitempty"`
}
