package rbac

import (
	"github.com/opengate-iam/opengate/iam"
)

// Source is the CloudEvents source of rbac's events.
const Source = "/opengate/rbac"

// Consumer is the consumer-group name of rbac's event consumers.
const Consumer = "rbac"

// RoleEvent is the payload of role.created, role.updated (also sent when a
// role's composites change) and role.deleted. The subject is the role id.
// Any role change can change the effective roles of many users: consumers
// that cache effective roles drop the realm's cache on role.*.
type RoleEvent struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ClientRole  bool   `json:"clientRole"`
	ContainerID string `json:"containerId"` // realm name, or client UUID
	ClientID    string `json:"clientId,omitempty"`
}

// MappingChangedEvent is the payload of role_mapping.changed: the direct
// roles of one principal changed. The subject is UserID, so consumers drop
// the cached effective roles of that user (or service account).
type MappingChangedEvent struct {
	Realm         iam.Realm     `json:"realm"`
	UserID        string        `json:"userId"` // "service-account-{clientUUID}" for service accounts
	PrincipalType PrincipalType `json:"principalType"`
	PrincipalID   string        `json:"principalId"`
}

// roleEvent returns the event of topic about r.
func roleEvent(topic string, r Role) (iam.Event, error) {
	return iam.NewEvent(Source, topic, r.Realm, r.ID, RoleEvent{
		ID:          r.ID,
		Name:        r.Name,
		ClientRole:  r.IsClientRole(),
		ContainerID: r.ContainerID(),
		ClientID:    r.ClientID,
	})
}

// mappingEvent returns role_mapping.changed for p.
func mappingEvent(realm iam.Realm, p Principal) (iam.Event, error) {
	return iam.NewEvent(Source, iam.TopicRoleMappingChanged, realm, p.UserID(), MappingChangedEvent{
		Realm:         realm,
		UserID:        p.UserID(),
		PrincipalType: p.Type,
		PrincipalID:   p.ID,
	})
}
