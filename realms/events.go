package realms

import (
	"github.com/opengate-iam/opengate/iam"
)

// Source is the CloudEvents source of the realms service's events.
const Source = "/opengate/realms"

// CreatedEvent is the data of realm.created. Subject and realm are the new
// realm's name.
type CreatedEvent struct {
	Name        iam.Realm `json:"name"`
	ID          string    `json:"id"` // the realm's immutable id
	DisplayName string    `json:"displayName,omitempty"`
	Enabled     bool      `json:"enabled"`
}

// UpdatedEvent is the data of realm.updated: which realm changed (readers
// reload it, caches drop it). Subject and realm are its name.
type UpdatedEvent struct {
	Name    iam.Realm `json:"name"`
	Enabled bool      `json:"enabled"`
}

// DeletedEvent is the data of realm.deleted. Every service deletes the
// realm's objects when it sees it, and token verifiers refuse the tokens of
// realm ID from then on. Subject and realm are its name. ID is "" in events
// recorded before realms had ids.
type DeletedEvent struct {
	Name iam.Realm `json:"name"`
	ID   string    `json:"id,omitempty"`
}

func createdEvent(r Realm) (iam.Event, error) {
	return iam.NewEvent(Source, iam.TopicRealmCreated, r.Name, string(r.Name),
		CreatedEvent{Name: r.Name, ID: r.ID, DisplayName: r.DisplayName, Enabled: r.Enabled})
}

func updatedEvent(r Realm) (iam.Event, error) {
	return iam.NewEvent(Source, iam.TopicRealmUpdated, r.Name, string(r.Name),
		UpdatedEvent{Name: r.Name, Enabled: r.Enabled})
}

func deletedEvent(r Realm) (iam.Event, error) {
	return iam.NewEvent(Source, iam.TopicRealmDeleted, r.Name, string(r.Name), DeletedEvent{Name: r.Name, ID: r.ID})
}
