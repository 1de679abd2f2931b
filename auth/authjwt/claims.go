package authjwt

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/opengate-iam/opengate/iam"
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
func (a Audience) Contains(aud string) bool { return slices.Contains(a, aud) }

// Roles is the {"roles": [...]} object of realm_access and resource_access.
type Roles struct {
	Roles []string `json:"roles"`
}

// AccessClaims are the claims of an access token: Keycloak's, plus realm and
// realm_id.
type AccessClaims struct {
	ExpiresAt int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	NotBefore int64    `json:"nbf,omitempty"`
	ID        string   `json:"jti,omitempty"`
	Issuer    string   `json:"iss"`
	Audience  Audience `json:"aud,omitempty"`
	Subject   string   `json:"sub"`
	Type      string   `json:"typ"`
	// AuthorizedParty is the clientId the token was issued to.
	AuthorizedParty string `json:"azp"`
	SessionID       string `json:"sid,omitempty"`
	Scope           string `json:"scope"`
	Realm           string `json:"realm"`
	// RealmID is the immutable id of the realm that issued the token: a
	// realm deleted and created again under the same name has another.
	RealmID           string           `json:"realm_id,omitempty"`
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

// Principal returns the caller the claims describe. Call it on verified
// claims only.
func (c *AccessClaims) Principal() *iam.Principal {
	p := &iam.Principal{
		Subject:   c.Subject,
		Realm:     iam.Realm(c.Realm),
		ClientID:  c.AuthorizedParty,
		SessionID: c.SessionID,
		Username:  c.PreferredUsername,
	}
	if p.ClientID == "" {
		p.ClientID = c.ClientID
	}
	if c.Scope != "" {
		p.Scopes = strings.Fields(c.Scope)
	}
	if c.RealmAccess != nil {
		p.Roles = c.RealmAccess.Roles
	}
	if len(c.ResourceAccess) > 0 {
		p.ClientRoles = make(map[string][]string, len(c.ResourceAccess))
		for client, r := range c.ResourceAccess {
			p.ClientRoles[client] = r.Roles
		}
	}
	return p
}
