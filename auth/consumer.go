package auth

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// Consumer is the consumer-group name of auth's event consumers.
const Consumer = "auth"

// Topics returns the topics auth consumes: session.terminated,
// user.deleted, user.credentials_changed and realm.deleted.
func Topics() []string {
	return []string{iam.TopicSessionTerminated, iam.TopicUserDeleted, iam.TopicUserCredentialsChanged, iam.TopicRealmDeleted}
}

// SessionTerminatedEvent is the part of session.terminated auth reads: the
// session's id (the event's subject is used when data has none).
type SessionTerminatedEvent struct {
	SessionID string `json:"sessionId"`
}

// userDeletedEvent is the part of user.deleted auth reads.
type userDeletedEvent struct {
	ID string `json:"id"`
}

// credentialsChangedEvent is the part of user.credentials_changed auth
// reads (users.CredentialsChangedData).
type credentialsChangedEvent struct {
	ID            string `json:"id"`
	KeepSessionID string `json:"keepSessionId"`
}

// HandleEvent applies one consumed event: session.terminated revokes the
// session's tokens (TerminateSession), user.deleted every session and
// failure record of the user (RevokeUser), user.credentials_changed every
// session of the user but the one kept (EndUserSessions), realm.deleted the
// realm's signing keys and every token record (DeleteRealm). All are
// idempotent, so
// redelivery is harmless. Other topics are ignored; malformed events are
// CodeInvalid (the bus retries, then dead-letters them).
func (s *Service) HandleEvent(ctx context.Context, e iam.Event) error {
	switch e.Type {
	case iam.TopicSessionTerminated:
		var d SessionTerminatedEvent
		if len(e.Data) > 0 {
			if err := e.Decode(&d); err != nil {
				return err
			}
		}
		if d.SessionID == "" {
			d.SessionID = e.Subject
		}
		return s.TerminateSession(ctx, e.Realm, d.SessionID)
	case iam.TopicUserDeleted:
		var d userDeletedEvent
		if len(e.Data) > 0 {
			if err := e.Decode(&d); err != nil {
				return err
			}
		}
		if d.ID == "" {
			d.ID = e.Subject
		}
		return s.RevokeUser(ctx, e.Realm, d.ID)
	case iam.TopicUserCredentialsChanged:
		var d credentialsChangedEvent
		if err := e.Decode(&d); err != nil {
			return err
		}
		if d.ID == "" {
			d.ID = e.Subject
		}
		return s.EndUserSessions(ctx, e.Realm, d.ID, d.KeepSessionID)
	case iam.TopicRealmDeleted:
		return s.DeleteRealm(ctx, e.Realm)
	}
	return nil
}
