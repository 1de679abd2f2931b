package users

import (
	"encoding/json"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

// EventSource is the CloudEvents source of every event this service emits.
const EventSource = "/opengate/users"

// UserData is the payload of user.created and user.updated: the user's
// profile, never credentials, hashes or tokens.
type UserData struct {
	ID              string   `json:"id"`
	Username        string   `json:"username"`
	Email           string   `json:"email,omitempty"`
	EmailVerified   bool     `json:"emailVerified"`
	FirstName       string   `json:"firstName,omitempty"`
	LastName        string   `json:"lastName,omitempty"`
	Enabled         bool     `json:"enabled"`
	RequiredActions []string `json:"requiredActions,omitempty"`
	// Imported marks the user.created of a user added by Import
	// (partialImport): the notify service sends such users no welcome mail.
	Imported bool `json:"imported,omitempty"`
}

// DeletedData is the payload of user.deleted.
type DeletedData struct {
	ID       string `json:"id"`
	Username string `json:"username"`
}

// EmailVerifiedData is the payload of user.email_verified.
type EmailVerifiedData struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

// ActionRequestedData is the payload of user.verify_email_requested and
// user.password_reset_requested. The action link carries a single-use
// token, so it travels sealed: SealedLink is the link sealed with AES-GCM
// under the action-link subkey of the deployment key (LinkPurpose), with the
// event's id as associated data. Only a holder of that key (the notify
// service) opens it, with OpenActionLink; the bus, the outbox and logs see
// ciphertext. The token is valid until ExpiresAt.
type ActionRequestedData struct {
	ID         string    `json:"id"`
	Username   string    `json:"username"`
	Email      string    `json:"email"`
	FirstName  string    `json:"firstName,omitempty"`
	LastName   string    `json:"lastName,omitempty"`
	SealedLink []byte    `json:"sealedLink"`
	ExpiresAt  time.Time `json:"expiresAt"`
	// RequiredActions are the actions an administrator asked the user to
	// perform (execute-actions-email), if any.
	RequiredActions []string `json:"requiredActions,omitempty"`
}

// Reasons of user.credentials_changed.
const (
	CredentialsSetByAdmin = "password_set"       // an administrator set the password
	CredentialsChanged    = "password_changed"   // the user changed their password
	CredentialsReset      = "password_reset"     // the user reset it with an emailed link
	CredentialsRemoved    = "credential_removed" // a credential was deleted
)

// CredentialsChangedData is the payload of user.credentials_changed. The
// token service ends every session of the user except KeepSessionID (the
// session the user changed their own password from, if any), so that
// whoever held the old password loses access at once.
type CredentialsChangedData struct {
	ID            string `json:"id"`
	Username      string `json:"username"`
	Reason        string `json:"reason"`
	KeepSessionID string `json:"keepSessionId,omitempty"`
}

func userData(u User) UserData {
	return UserData{ID: u.ID, Username: u.Username, Email: u.Email, EmailVerified: u.EmailVerified,
		FirstName: u.FirstName, LastName: u.LastName, Enabled: u.Enabled, RequiredActions: u.RequiredActions}
}

// CreatedEvent returns the user.created event of u.
func CreatedEvent(u User) (iam.Event, error) {
	return iam.NewEvent(EventSource, iam.TopicUserCreated, u.Realm, u.ID, userData(u))
}

// importedEvent returns the user.created event of u added by Import.
func importedEvent(u User) (iam.Event, error) {
	d := userData(u)
	d.Imported = true
	return iam.NewEvent(EventSource, iam.TopicUserCreated, u.Realm, u.ID, d)
}

// UpdatedEvent returns the user.updated event of u (its state after the
// change).
func UpdatedEvent(u User) (iam.Event, error) {
	return iam.NewEvent(EventSource, iam.TopicUserUpdated, u.Realm, u.ID, userData(u))
}

// DeletedEvent returns the user.deleted event of u.
func DeletedEvent(u User) (iam.Event, error) {
	return iam.NewEvent(EventSource, iam.TopicUserDeleted, u.Realm, u.ID, DeletedData{ID: u.ID, Username: u.Username})
}

// CredentialsChangedEvent returns the user.credentials_changed event of u
// for reason, keeping session keep ("" for none) alive.
func CredentialsChangedEvent(u User, reason, keep string) (iam.Event, error) {
	return iam.NewEvent(EventSource, iam.TopicUserCredentialsChanged, u.Realm, u.ID,
		CredentialsChangedData{ID: u.ID, Username: u.Username, Reason: reason, KeepSessionID: keep})
}

// EmailVerifiedEvent returns the user.email_verified event of u.
func EmailVerifiedEvent(u User) (iam.Event, error) {
	return iam.NewEvent(EventSource, iam.TopicUserEmailVerified, u.Realm, u.ID,
		EmailVerifiedData{ID: u.ID, Username: u.Username, Email: u.Email})
}

// ActionRequestedEvent returns a user.verify_email_requested or
// user.password_reset_requested event (topic) carrying link sealed with
// links (see ActionRequestedData). A nil links is CodeInternal: a link is
// never put on the bus in clear.
func ActionRequestedEvent(topic string, u User, link string, expires time.Time, actions []string, links *iamcrypto.Sealer) (iam.Event, error) {
	const op = "users.ActionRequestedEvent"
	if links == nil {
		return iam.Event{}, &iam.Error{Code: iam.CodeInternal, Op: op,
			Message: "action links cannot be sent: no link sealer (users.WithLinkSealer)"}
	}
	d := ActionRequestedData{ID: u.ID, Username: u.Username, Email: u.Email, FirstName: u.FirstName,
		LastName: u.LastName, ExpiresAt: expires.UTC(), RequiredActions: actions}
	e, err := iam.NewEvent(EventSource, topic, u.Realm, u.ID, d)
	if err != nil {
		return iam.Event{}, err
	}
	if d.SealedLink, err = links.Seal([]byte(link), []byte(e.ID)); err != nil {
		return iam.Event{}, iam.Wrap(op, err)
	}
	if e.Data, err = json.Marshal(d); err != nil {
		return iam.Event{}, iam.Wrap(op, err)
	}
	return e, nil
}

// OpenActionLink reads a user.verify_email_requested or
// user.password_reset_requested event: its data and the action link, opened
// with links (the sealer ActionRequestedEvent sealed it with). CodeInvalid
// for another topic or malformed data, CodeInternal for a link that does not
// open (another deployment key, or data moved to another event). Errors
// never carry the link.
func OpenActionLink(links *iamcrypto.Sealer, e iam.Event) (ActionRequestedData, string, error) {
	const op = "users.OpenActionLink"
	if e.Type != iam.TopicUserVerifyEmailRequested && e.Type != iam.TopicUserPasswordResetRequested {
		return ActionRequestedData{}, "", &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "type",
			Message: "not an action-link event"}
	}
	var d ActionRequestedData
	if err := e.Decode(&d); err != nil {
		return ActionRequestedData{}, "", iam.Wrap(op, err)
	}
	if links == nil {
		return ActionRequestedData{}, "", &iam.Error{Code: iam.CodeInternal, Op: op, Message: "no link sealer to open the link with"}
	}
	link, err := links.Open(d.SealedLink, []byte(e.ID))
	if err != nil {
		return ActionRequestedData{}, "", iam.Wrap(op, err)
	}
	return d, string(link), nil
}
