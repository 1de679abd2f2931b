package usershttp

import (
	"encoding/json"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
	"github.com/opengate-iam/opengate/users/password"
)

// UserRepresentation is Keycloak's UserRepresentation: the fields OpenGate
// implements, and those a realm export carries that other services own.
// Pointer fields let a PUT leave absent fields unchanged. Keycloak's other
// fields (notBefore, federatedIdentities, …) are kept verbatim in
// users.User.Extra (see decodeUser).
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

	// The user's memberships, as a realm export lists them (role names,
	// role names by clientId, group paths): a realm import (package
	// realmshttp) gives them to the services that own them (rbac, groups).
	// They are never stored with the user; the users API ignores them.
	RealmRoles  []string            `json:"realmRoles,omitempty"`
	ClientRoles map[string][]string `json:"clientRoles,omitempty"`
	Groups      []string            `json:"groups,omitempty"`
	// ServiceAccountClientID marks, in a realm export, the service account
	// of a client: not a user in OpenGate (its roles are the client's
	// service account's), so imports do not create it.
	ServiceAccountClientID *string `json:"serviceAccountClientId,omitempty"`

	// Computed by Keycloak when it answers; ignored on input.
	Totp                       json.RawMessage `json:"totp,omitempty"`
	Access                     json.RawMessage `json:"access,omitempty"`
	DisableableCredentialTypes json.RawMessage `json:"disableableCredentialTypes,omitempty"`
	UserProfileMetadata        json.RawMessage `json:"userProfileMetadata,omitempty"`
	// Origin is in Keycloak's Java UserRepresentation but not in the
	// admin client's definitions (kcrep): accepted from exports, ignored.
	Origin json.RawMessage `json:"origin,omitempty"`
}

// Representation renders u as the admin API does, Keycloak's
// UserRepresentation with the fields kept in u.Extra: for other services
// that answer with users (rbac's users of a role).
func Representation(u users.User) any { return userJSON(u) }

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

	// Accepted from Keycloak and ignored (priority; the fields of older
	// exports' OTP credentials).
	Priority       json.RawMessage `json:"priority,omitempty"`
	Device         json.RawMessage `json:"device,omitempty"`
	Counter        json.RawMessage `json:"counter,omitempty"`
	Digits         json.RawMessage `json:"digits,omitempty"`
	Period         json.RawMessage `json:"period,omitempty"`
	Config         json.RawMessage `json:"config,omitempty"`
	FederationLink json.RawMessage `json:"federationLink,omitempty"`
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
