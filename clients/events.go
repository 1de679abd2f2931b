package clients

import (
	"github.com/opengate-iam/opengate/iam"
)

// Source is the CloudEvents source of the clients service's events.
const Source = "/opengate/clients"

// CreatedEvent is the data of client.created. Subject is the client's UUID.
type CreatedEvent struct {
	ID                     string `json:"id"`
	ClientID               string `json:"clientId"`
	PublicClient           bool   `json:"publicClient"`
	ServiceAccountsEnabled bool   `json:"serviceAccountsEnabled"`
	// FullScopeAllowed is the client's fullScopeAllowed (rbac answers the
	// composite scope mappings by it). Events written before it existed
	// lack it: read its absence as true.
	FullScopeAllowed bool `json:"fullScopeAllowed"`
}

// UpdatedEvent is the data of client.updated: caches drop the client.
// SecretRotated is true when the change was a new secret (the secret itself
// is never in an event). Subject is the client's UUID.
type UpdatedEvent struct {
	ID                     string `json:"id"`
	ClientID               string `json:"clientId"`
	PreviousClientID       string `json:"previousClientId,omitempty"`
	Enabled                bool   `json:"enabled"`
	ServiceAccountsEnabled bool   `json:"serviceAccountsEnabled"`
	SecretRotated          bool   `json:"secretRotated,omitempty"`
	// FullScopeAllowed as in CreatedEvent.
	FullScopeAllowed bool `json:"fullScopeAllowed"`
}

// DeletedEvent is the data of client.deleted. Subject is the client's UUID.
type DeletedEvent struct {
	ID       string `json:"id"`
	ClientID string `json:"clientId"`
}

func createdEvent(c Client) (iam.Event, error) {
	return iam.NewEvent(Source, iam.TopicClientCreated, c.Realm, c.ID, CreatedEvent{
		ID: c.ID, ClientID: c.ClientID, PublicClient: c.PublicClient, ServiceAccountsEnabled: c.ServiceAccountsEnabled,
		FullScopeAllowed: c.FullScopeAllowed()})
}

func updatedEvent(c Client, previousClientID string, secretRotated bool) (iam.Event, error) {
	if previousClientID == c.ClientID {
		previousClientID = ""
	}
	return iam.NewEvent(Source, iam.TopicClientUpdated, c.Realm, c.ID, UpdatedEvent{
		ID: c.ID, ClientID: c.ClientID, PreviousClientID: previousClientID, Enabled: c.Enabled,
		ServiceAccountsEnabled: c.ServiceAccountsEnabled, SecretRotated: secretRotated,
		FullScopeAllowed: c.FullScopeAllowed()})
}

func deletedEvent(c Client) (iam.Event, error) {
	return iam.NewEvent(Source, iam.TopicClientDeleted, c.Realm, c.ID, DeletedEvent{ID: c.ID, ClientID: c.ClientID})
}
