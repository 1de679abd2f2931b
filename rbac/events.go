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

// ScopeMappingEvent is the payload of scope_mapping.changed: the roles
// mapped to a client's scope changed, so may the roles its tokens carry
// when it does not allow full scope. The subject is ClientUUID. Consumers
// that cache scopes drop the realm's cache (scope changes are rare).
type ScopeMappingEvent struct {
	Realm      iam.Realm `json:"realm"`
	ClientUUID string    `json:"clientUuid"`
	ClientID   string    `json:"clientId"`
}

// scopeEvent returns scope_mapping.changed for c.
func scopeEvent(c Client) (iam.Event, error) {
	return iam.NewEvent(Source, iam.TopicScopeMappingChanged, c.Realm, c.ID, ScopeMappingEvent{
		Realm: c.Realm, ClientUUID: c.ID, ClientID: c.ClientID,
	})
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

// GroupEvent is the payload of group.created, group.updated, group.moved
// and group.deleted; the subject is the group id. A group's path changes
// when it or a group above it is renamed or moved: the event names only
// the group changed (its subgroups' paths follow). Members' effective roles
// change when a group holding roles moves or is deleted: consumers that
// cache effective roles drop the realm's cache on group.moved and
// group.deleted.
type GroupEvent struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Path     string `json:"path"`
	ParentID string `json:"parentId,omitempty"`
	// PreviousPath is the path before a rename (group.updated) or a move
	// (group.moved); "" otherwise.
	PreviousPath string `json:"previousPath,omitempty"`
	// PreviousParentID is the parent before a move; "" for a group that
	// was at the top level, and in other events.
	PreviousParentID string `json:"previousParentId,omitempty"`
}

// GroupMemberEvent is the payload of group.member.added and
// group.member.removed: the groups, hence the effective roles, of one
// subject changed. The subject is UserID, as for role_mapping.changed.
type GroupMemberEvent struct {
	Realm     iam.Realm `json:"realm"`
	UserID    string    `json:"userId"` // "service-account-{clientUUID}" for service accounts
	GroupID   string    `json:"groupId"`
	GroupPath string    `json:"groupPath"`
}

// GroupRoleMappingEvent is the payload of group.role_mapping.changed: the
// roles mapped to a group changed, so did the effective roles of its
// members and of its subgroups' members. The subject is the group id.
type GroupRoleMappingEvent struct {
	Realm     iam.Realm `json:"realm"`
	GroupID   string    `json:"groupId"`
	GroupPath string    `json:"groupPath"`
}

// groupEvent returns the event of topic about g; before is the group before
// a rename or a move (nil otherwise).
func groupEvent(topic string, g Group, before *Group) (iam.Event, error) {
	d := GroupEvent{ID: g.ID, Name: g.Name, Path: g.Path, ParentID: g.ParentID}
	if before != nil && before.Path != g.Path {
		d.PreviousPath = before.Path
	}
	if topic == iam.TopicGroupMoved && before != nil {
		d.PreviousParentID = before.ParentID
	}
	return iam.NewEvent(Source, topic, g.Realm, g.ID, d)
}

// memberEvent returns group.member.added or group.member.removed.
func memberEvent(topic string, g Group, userID string) (iam.Event, error) {
	return iam.NewEvent(Source, topic, g.Realm, userID, GroupMemberEvent{
		Realm: g.Realm, UserID: userID, GroupID: g.ID, GroupPath: g.Path,
	})
}

// groupMappingEvent returns group.role_mapping.changed for g.
func groupMappingEvent(g Group) (iam.Event, error) {
	return iam.NewEvent(Source, iam.TopicGroupRoleMappingChanged, g.Realm, g.ID, GroupRoleMappingEvent{
		Realm: g.Realm, GroupID: g.ID, GroupPath: g.Path,
	})
}
