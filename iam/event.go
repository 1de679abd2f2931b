package iam

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Topics. Each is also the CloudEvents type of the events published on it.
// The payload of each is documented beside the producer's event constructor.
const (
	TopicRealmCreated = "realm.created"
	TopicRealmUpdated = "realm.updated"
	TopicRealmDeleted = "realm.deleted"

	TopicUserCreated                = "user.created"
	TopicUserUpdated                = "user.updated"
	TopicUserDeleted                = "user.deleted"
	TopicUserEmailVerified          = "user.email_verified"
	TopicUserVerifyEmailRequested   = "user.verify_email_requested"   // sensitive: carries an action link
	TopicUserPasswordResetRequested = "user.password_reset_requested" // sensitive: carries an action link
	TopicUserCredentialsChanged     = "user.credentials_changed"      // a password was set, changed, reset or removed

	TopicRoleCreated        = "role.created"
	TopicRoleUpdated        = "role.updated"
	TopicRoleDeleted        = "role.deleted"
	TopicRoleMappingChanged = "role_mapping.changed"

	TopicGroupCreated            = "group.created"
	TopicGroupUpdated            = "group.updated" // renamed, or its description, attributes changed
	TopicGroupMoved              = "group.moved"   // under another parent, or to the top level
	TopicGroupDeleted            = "group.deleted" // one per group of a deleted subtree
	TopicGroupMemberAdded        = "group.member.added"
	TopicGroupMemberRemoved      = "group.member.removed"
	TopicGroupRoleMappingChanged = "group.role_mapping.changed" // the roles mapped to a group

	TopicScopeMappingChanged = "scope_mapping.changed" // the roles mapped to a client's scope

	TopicClientCreated = "client.created"
	TopicClientUpdated = "client.updated"
	TopicClientDeleted = "client.deleted"

	TopicLoginSuccess = "auth.login.success"
	TopicLoginFailure = "auth.login.failure"
	TopicLogout       = "auth.logout"

	TopicSessionTerminated = "session.terminated"

	TopicOTPSent = "mfa.otp_sent"
)

// Topics returns every topic above, for deployments that create them ahead
// of time.
func Topics() []string {
	return []string{
		TopicRealmCreated, TopicRealmUpdated, TopicRealmDeleted,
		TopicUserCreated, TopicUserUpdated, TopicUserDeleted, TopicUserEmailVerified,
		TopicUserVerifyEmailRequested, TopicUserPasswordResetRequested, TopicUserCredentialsChanged,
		TopicRoleCreated, TopicRoleUpdated, TopicRoleDeleted, TopicRoleMappingChanged,
		TopicGroupCreated, TopicGroupUpdated, TopicGroupMoved, TopicGroupDeleted,
		TopicGroupMemberAdded, TopicGroupMemberRemoved, TopicGroupRoleMappingChanged,
		TopicScopeMappingChanged,
		TopicClientCreated, TopicClientUpdated, TopicClientDeleted,
		TopicLoginSuccess, TopicLoginFailure, TopicLogout,
		TopicSessionTerminated,
		TopicOTPSent,
	}
}

// Event is a CloudEvents 1.0 event in structured JSON mode, with the
// extension attribute "realm". Its JSON form is the wire format on every bus.
type Event struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`     // UUIDv7; consumers deduplicate on it
	Source          string          `json:"source"` // producing service, e.g. "/opengate/users"
	Type            string          `json:"type"`   // one of the Topic constants
	Time            time.Time       `json:"time"`
	Subject         string          `json:"subject,omitempty"` // the object, e.g. a user id
	DataContentType string          `json:"datacontenttype,omitempty"`
	Realm           Realm           `json:"realm"`
	Data            json.RawMessage `json:"data,omitempty"`
	// TraceParent is the W3C traceparent of the request that caused the
	// event (CloudEvents' distributed tracing extension), set when the
	// event is recorded under a context carrying one (StampTrace); Kafka
	// records also carry it as the header "traceparent".
	TraceParent string `json:"traceparent,omitempty"`
}

// NewEvent returns an event of type topic about subject in realm, with a fresh
// UUIDv7 id, the current time and data marshalled as JSON. It fails only if
// data cannot be marshalled.
func NewEvent(source, topic string, realm Realm, subject string, data any) (Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return Event{}, Wrap("iam.NewEvent", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Event{}, Wrap("iam.NewEvent", err)
	}
	return Event{
		SpecVersion:     "1.0",
		ID:              id.String(),
		Source:          source,
		Type:            topic,
		Time:            time.Now().UTC(),
		Subject:         subject,
		DataContentType: "application/json",
		Realm:           realm,
		Data:            raw,
	}, nil
}

// Key is the partitioning key: realm/subject, so one object's events stay in
// order.
func (e Event) Key() string { return string(e.Realm) + "/" + e.Subject }

// Decode unmarshals the event's data into v.
func (e Event) Decode(v any) error {
	if err := json.Unmarshal(e.Data, v); err != nil {
		return &Error{Code: CodeInvalid, Op: "iam.Event.Decode", Message: "malformed event data", Err: err}
	}
	return nil
}

// NewID returns a new UUIDv7 string, the id format of every OpenGate object.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}
