package usershttp

import (
	"encoding/json"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/password"
)

// UserRepresentation is Keycloak's UserRepresentation. Pointer fields let a
// PUT leave absent fields unchanged. Fields Keycloak exports that OpenGate
// keeps elsewhere or does not use (role and group memberships, totp,
// notBefore, federation links, ...) are accepted and ignored, so exported
// users import unchanged; role mappings are imported through rbac.
type UserRepresentation struct {
	ID               *string                    `json:"id,omitempty"`
	Username         *string                    `json:"username,omitempty"`
	Email            *string                    `json:"email,omitempty"`
	EmailVerified    *bool                      `json:"emailVerified,omitempty"`
	FirstName        *string                    `json:"firstName,omitempty"`
	LastName         *string                    `json:"lastName,omitempty"`
	Enabled          *bool                      `json:"enabled,omitempty"`
	Attributes       *map[string][]string       `json:"attributes,omitempty"`
	RequiredActions  *[]string                  `json:"requiredActions,omitempty"`
	CreatedTimestamp *int64                     `json:"createdTimestamp,omitempty"`
	Credentials      []CredentialRepresentation `json:"credentials,omitempty"`

	// Accepted from Keycloak and ignored.
	Totp                       json.RawMessage `json:"totp,omitempty"`
	NotBefore                  json.RawMessage `json:"notBefore,omitempty"`
	DisableableCredentialTypes json.RawMessage `json:"disableableCredentialTypes,omitempty"`
	Access                     json.RawMessage `json:"access,omitempty"`
	RealmRoles                 json.RawMessage `json:"realmRoles,omitempty"`
	ClientRoles                json.RawMessage `json:"clientRoles,omitempty"`
	Groups                     json.RawMessage `json:"groups,omitempty"`
	FederatedIdentities        json.RawMessage `json:"federatedIdentities,omitempty"`
	FederationLink             json.RawMessage `json:"federationLink,omitempty"`
	ServiceAccountClientID     json.RawMessage `json:"serviceAccountClientId,omitempty"`
	ClientConsents             json.RawMessage `json:"clientConsents,omitempty"`
	Origin                     json.RawMessage `json:"origin,omitempty"`
	Self                       json.RawMessage `json:"self,omitempty"`
	UserProfileMetadata        json.RawMessage `json:"userProfileMetadata,omitempty"`
}

// Representation renders u as the admin API does, Keycloak's
// UserRepresentation: for other services that answer with users (rbac's
// users of a role).
func Representation(u users.User) UserRepresentation { return toRepresentation(u) }

// toRepresentation renders u as Keycloak does (every field present).
func toRepresentation(u users.User) UserRepresentation {
	enabled, verified := u.Enabled, u.EmailVerified
	actions := u.RequiredActions
	if actions == nil {
		actions = []string{}
	}
	created := u.CreatedAt.UnixMilli()
	rep := UserRepresentation{ID: &u.ID, Username: &u.Username, EmailVerified: &verified, Enabled: &enabled,
		RequiredActions: &actions, CreatedTimestamp: &created, FirstName: &u.FirstName, LastName: &u.LastName}
	if u.Email != "" {
		rep.Email = &u.Email
	}
	if len(u.Attributes) > 0 {
		rep.Attributes = &u.Attributes
	}
	return rep
}

// toUser converts a representation for Create: absent fields are zero,
// "enabled" absent means disabled (as in Keycloak).
func (rep UserRepresentation) toUser() users.User {
	var u users.User
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	set(&u.ID, rep.ID)
	set(&u.Username, rep.Username)
	set(&u.Email, rep.Email)
	set(&u.FirstName, rep.FirstName)
	set(&u.LastName, rep.LastName)
	u.EmailVerified = rep.EmailVerified != nil && *rep.EmailVerified
	u.Enabled = rep.Enabled != nil && *rep.Enabled
	if rep.Attributes != nil {
		u.Attributes = *rep.Attributes
	}
	if rep.RequiredActions != nil {
		u.RequiredActions = *rep.RequiredActions
	}
	if rep.CreatedTimestamp != nil && *rep.CreatedTimestamp > 0 {
		u.CreatedAt = time.UnixMilli(*rep.CreatedTimestamp).UTC()
	}
	return u
}

// toPatch converts a representation for a partial update.
func (rep UserRepresentation) toPatch() users.Patch {
	return users.Patch{Username: rep.Username, Email: rep.Email, EmailVerified: rep.EmailVerified,
		FirstName: rep.FirstName, LastName: rep.LastName, Enabled: rep.Enabled, Attributes: rep.Attributes,
		RequiredActions: rep.RequiredActions}
}

// fromRepresentation is the inverse of toRepresentation for remote clients.
func fromRepresentation(realm iam.Realm, rep UserRepresentation) users.User {
	u := rep.toUser()
	u.Realm = realm
	if u.Attributes == nil {
		u.Attributes = map[string][]string{}
	}
	return u
}

// CredentialRepresentation is Keycloak's CredentialRepresentation as it
// arrives in a create or import: a plaintext value, Keycloak 26's
// secretData/credentialData JSON strings, or the legacy hashedSaltedValue,
// salt, hashIterations and algorithm.
type CredentialRepresentation struct {
	ID             string `json:"id,omitempty"`
	Type           string `json:"type,omitempty"`
	UserLabel      string `json:"userLabel,omitempty"`
	CreatedDate    int64  `json:"createdDate,omitempty"`
	Value          string `json:"value,omitempty"`
	Temporary      *bool  `json:"temporary,omitempty"`
	SecretData     string `json:"secretData,omitempty"`
	CredentialData string `json:"credentialData,omitempty"`

	HashedSaltedValue string `json:"hashedSaltedValue,omitempty"`
	Salt              string `json:"salt,omitempty"`
	HashIterations    int    `json:"hashIterations,omitempty"`
	Algorithm         string `json:"algorithm,omitempty"`

	// Accepted from Keycloak and ignored.
	Priority json.RawMessage `json:"priority,omitempty"`
}

// toNewCredential converts an incoming credential. Hash formats are
// converted with package password; their errors never quote the secret.
func (c CredentialRepresentation) toNewCredential() (users.NewCredential, error) {
	if c.Type != "" && c.Type != users.CredentialPassword {
		return users.NewCredential{}, iam.Invalidf("credentials", "credential type %q cannot be set here (only %q)", c.Type, users.CredentialPassword)
	}
	nc := users.NewCredential{Type: users.CredentialPassword, UserLabel: c.UserLabel,
		Temporary: c.Temporary != nil && *c.Temporary}
	hashed := c.SecretData != "" || c.CredentialData != "" || c.HashedSaltedValue != ""
	switch {
	case c.Value != "" && hashed:
		return users.NewCredential{}, iam.Invalidf("credentials", "give either a value or a hashed credential, not both")
	case c.Value != "":
		nc.Value = c.Value
		return nc, nil
	case c.SecretData != "" || c.CredentialData != "":
		kc, err := password.ParseKeycloak(c.SecretData, c.CredentialData)
		if err != nil {
			return users.NewCredential{}, iam.Invalidf("credentials", "%s", err.Error())
		}
		return withHash(nc, kc)
	case c.HashedSaltedValue != "":
		salt, err := password.DecodeKeycloakBase64(c.Salt)
		if err != nil {
			return users.NewCredential{}, iam.Invalidf("credentials", "salt must be base64")
		}
		alg := c.Algorithm
		if alg == "" {
			alg = password.KeycloakPBKDF2SHA256
		}
		return withHash(nc, password.KeycloakCredential{Algorithm: alg, Iterations: c.HashIterations, Salt: salt,
			Value: c.HashedSaltedValue})
	}
	return users.NewCredential{}, iam.Invalidf("credentials", "a password credential needs a value or a hash")
}

func withHash(nc users.NewCredential, kc password.KeycloakCredential) (users.NewCredential, error) {
	h, err := kc.Encode()
	if err != nil {
		return users.NewCredential{}, iam.Invalidf("credentials", "%s", err.Error())
	}
	nc.Hash = h
	return nc, nil
}

// credentialInfo is a credential as the admin API lists it: never its
// secret.
type credentialInfo struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	UserLabel   string `json:"userLabel,omitempty"`
	CreatedDate int64  `json:"createdDate"`
}

// AccountRepresentation is the self-service view of a user (Keycloak's
// account REST API).
type AccountRepresentation struct {
	ID            string              `json:"id,omitempty"`
	Username      *string             `json:"username,omitempty"`
	Email         *string             `json:"email,omitempty"`
	EmailVerified *bool               `json:"emailVerified,omitempty"`
	FirstName     *string             `json:"firstName,omitempty"`
	LastName      *string             `json:"lastName,omitempty"`
	Attributes    map[string][]string `json:"attributes,omitempty"`

	// Accepted from Keycloak's account console and ignored.
	UserProfileMetadata json.RawMessage `json:"userProfileMetadata,omitempty"`
}

func toAccount(u users.User) AccountRepresentation {
	verified := u.EmailVerified
	return AccountRepresentation{ID: u.ID, Username: &u.Username, Email: &u.Email, EmailVerified: &verified,
		FirstName: &u.FirstName, LastName: &u.LastName, Attributes: u.Attributes}
}
