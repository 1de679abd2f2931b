package clientshttp

import (
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
)

// Protocol is the only client protocol OpenGate supports.
const Protocol = "openid-connect"

// clientAuthenticatorSecret is Keycloak's clientAuthenticatorType of
// confidential clients (client_secret_basic / client_secret_post).
const clientAuthenticatorSecret = "client-secret"

// ClientRepresentation is Keycloak's ClientRepresentation restricted to the
// fields OpenGate supports. id is the UUID, clientId the public name.
// Pointer fields let a PUT change only what it sends. secret is accepted on
// create only and never returned (read it from .../client-secret). Unknown
// fields are rejected with the field named.
type ClientRepresentation struct {
	ID                        *string `json:"id,omitempty"`
	ClientID                  *string `json:"clientId,omitempty"`
	Name                      *string `json:"name,omitempty"`
	Description               *string `json:"description,omitempty"`
	Enabled                   *bool   `json:"enabled,omitempty"`
	PublicClient              *bool   `json:"publicClient,omitempty"`
	BearerOnly                *bool   `json:"bearerOnly,omitempty"`
	StandardFlowEnabled       *bool   `json:"standardFlowEnabled,omitempty"`
	DirectAccessGrantsEnabled *bool   `json:"directAccessGrantsEnabled,omitempty"`
	ServiceAccountsEnabled    *bool   `json:"serviceAccountsEnabled,omitempty"`
	// FullScopeAllowed (default true): whether tokens carry every role of
	// their subject, or only those within the client's scope.
	FullScopeAllowed     *bool              `json:"fullScopeAllowed,omitempty"`
	RedirectURIs         *[]string          `json:"redirectUris,omitempty"`
	WebOrigins           *[]string          `json:"webOrigins,omitempty"`
	RootURL              *string            `json:"rootUrl,omitempty"`
	BaseURL              *string            `json:"baseUrl,omitempty"`
	Attributes           *map[string]string `json:"attributes,omitempty"`
	DefaultClientScopes  *[]string          `json:"defaultClientScopes,omitempty"`
	OptionalClientScopes *[]string          `json:"optionalClientScopes,omitempty"`
	// Protocol is always "openid-connect"; any other value is rejected.
	Protocol *string `json:"protocol,omitempty"`
	// ClientAuthenticatorType is "client-secret" for confidential clients;
	// any other value is rejected.
	ClientAuthenticatorType *string `json:"clientAuthenticatorType,omitempty"`
	// Secret is the secret of a new confidential client (generated when
	// absent). Never returned.
	Secret *string `json:"secret,omitempty"`
}

// CredentialRepresentation is Keycloak's answer of the client-secret
// endpoints.
type CredentialRepresentation struct {
	Type  string `json:"type"`
	Value string `json:"value,omitempty"`
}

// fromClient returns the full representation of c (every field set).
func fromClient(c clients.Client) ClientRepresentation {
	c = c.Clone()
	nonNil := func(s []string) *[]string {
		if s == nil {
			s = []string{}
		}
		return &s
	}
	attrs := c.Attributes
	if attrs == nil {
		attrs = map[string]string{}
	}
	rep := ClientRepresentation{
		ID: &c.ID, ClientID: &c.ClientID, Name: &c.Name, Description: &c.Description,
		Enabled: &c.Enabled, PublicClient: &c.PublicClient, BearerOnly: &c.BearerOnly,
		StandardFlowEnabled: &c.StandardFlowEnabled, DirectAccessGrantsEnabled: &c.DirectAccessGrantsEnabled,
		ServiceAccountsEnabled: &c.ServiceAccountsEnabled, FullScopeAllowed: ptr(c.FullScopeAllowed()),
		RedirectURIs: nonNil(c.RedirectURIs), WebOrigins: nonNil(c.WebOrigins),
		RootURL: &c.RootURL, BaseURL: &c.BaseURL, Attributes: &attrs,
		DefaultClientScopes: nonNil(c.DefaultClientScopes), OptionalClientScopes: nonNil(c.OptionalClientScopes),
		Protocol: ptr(Protocol),
	}
	if !c.PublicClient {
		rep.ClientAuthenticatorType = ptr(clientAuthenticatorSecret)
	}
	return rep
}

// checkProtocol rejects protocols and authenticator types OpenGate does not
// have.
func (rep ClientRepresentation) checkProtocol() error {
	if rep.Protocol != nil && *rep.Protocol != "" && *rep.Protocol != Protocol {
		return iam.Invalidf("protocol", "only the %s protocol is supported", Protocol)
	}
	if rep.ClientAuthenticatorType != nil && *rep.ClientAuthenticatorType != "" && *rep.ClientAuthenticatorType != clientAuthenticatorSecret {
		return iam.Invalidf("clientAuthenticatorType", "only %s client authentication is supported", clientAuthenticatorSecret)
	}
	return nil
}

// toClient converts a create request. Absent settings take Keycloak's
// defaults: enabled and the standard flow on, everything else off.
func (rep ClientRepresentation) toClient() (clients.Client, string, error) {
	if err := rep.checkProtocol(); err != nil {
		return clients.Client{}, "", err
	}
	c := clients.Client{Enabled: true, StandardFlowEnabled: true}
	if rep.ID != nil {
		c.ID = *rep.ID
	}
	rep.update().Apply(&c)
	secret := ""
	if rep.Secret != nil {
		secret = *rep.Secret
	}
	return c, secret, nil
}

// toUpdate converts a PUT body into a partial update.
func (rep ClientRepresentation) toUpdate(id string) (clients.Update, error) {
	if err := rep.checkProtocol(); err != nil {
		return clients.Update{}, err
	}
	if rep.ID != nil && *rep.ID != "" && *rep.ID != id {
		return clients.Update{}, iam.Invalidf("id", "id cannot be changed")
	}
	if rep.Secret != nil {
		return clients.Update{}, iam.Invalidf("secret", "secret cannot be set by an update; POST .../client-secret rotates it")
	}
	return rep.update(), nil
}

func (rep ClientRepresentation) update() clients.Update {
	return clients.Update{
		ClientID: rep.ClientID, Name: rep.Name, Description: rep.Description, Enabled: rep.Enabled,
		PublicClient: rep.PublicClient, BearerOnly: rep.BearerOnly, StandardFlowEnabled: rep.StandardFlowEnabled,
		DirectAccessGrantsEnabled: rep.DirectAccessGrantsEnabled, ServiceAccountsEnabled: rep.ServiceAccountsEnabled,
		FullScopeAllowed: rep.FullScopeAllowed, RedirectURIs: rep.RedirectURIs, WebOrigins: rep.WebOrigins, RootURL: rep.RootURL, BaseURL: rep.BaseURL,
		Attributes: rep.Attributes, DefaultClientScopes: rep.DefaultClientScopes, OptionalClientScopes: rep.OptionalClientScopes,
	}
}

func ptr[T any](v T) *T { return &v }
