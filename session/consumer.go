package session

import (
	"context"
	"errors"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Consumer is the consumer-group name of the session service's event
// consumer.
const Consumer = "session"

// Topics returns the topics HandleEvent consumes: auth.login.success,
// auth.logout, user.deleted, user.credentials_changed and realm.deleted.
func Topics() []string {
	return []string{iam.TopicLoginSuccess, iam.TopicLogout, iam.TopicUserDeleted,
		iam.TopicUserCredentialsChanged, iam.TopicRealmDeleted}
}

// loginEvent is the part of auth.login.success (auth.LoginSuccessEvent) the
// session service reads.
type loginEvent struct {
	UserID     string `json:"userId"`
	Username   string `json:"username"`
	ClientID   string `json:"clientId"`
	ClientUUID string `json:"clientUuid"`
	SessionID  string `json:"sessionId"`
	IPAddress  string `json:"ipAddress"`
	UserAgent  string `json:"userAgent"`
	// SessionExpiresAt is the end of the session's max lifespan (Unix
	// seconds).
	SessionExpiresAt int64 `json:"sessionExpiresAt"`
}

// logoutEvent is the part of auth.logout the session service reads.
type logoutEvent struct {
	SessionID string `json:"sessionId"`
}

// userEvent is the part of user.deleted and user.credentials_changed the
// session service reads.
type userEvent struct {
	ID            string `json:"id"`
	KeepSessionID string `json:"keepSessionId"`
}

// HandleEvent applies one consumed event; it has the signature of
// iam.Handler:
//
//   - auth.login.success creates the session (a second client's login
//     joins it); an event for a realm that is gone or a session whose max
//     lifespan is over is skipped;
//   - auth.logout terminates the session (reason logout); one that
//     arrives before its login forbids the session id;
//   - user.deleted terminates every session of the user (user_deleted);
//   - user.credentials_changed every session of the user but keepSessionId
//     (credentials_changed);
//   - realm.deleted deletes every session of the realm, without events:
//     every consumer of session.terminated consumes realm.deleted too.
//
// Every effect is idempotent, so a redelivered event changes nothing and
// publishes nothing: a session is created once and never again once ended
// (Store.Create), and each termination publishes its one event
// (Terminate). Other topics are ignored. A malformed event is CodeInvalid
// (the bus retries, then dead-letters it).
func (s *Service) HandleEvent(ctx context.Context, e iam.Event) error {
	const op = "session.HandleEvent"
	if !isTopic(e.Type) {
		return nil
	}
	if err := e.Realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	var err error
	switch e.Type {
	case iam.TopicLoginSuccess:
		err = s.login(ctx, e)
	case iam.TopicLogout:
		var d logoutEvent
		if err = e.Decode(&d); err == nil {
			if d.SessionID == "" {
				return iam.Wrap(op, iam.Invalidf("sessionId", "auth.logout without a session id"))
			}
			err = s.logout(ctx, e.Realm, d.SessionID)
		}
	case iam.TopicUserDeleted, iam.TopicUserCredentialsChanged:
		err = s.userChanged(ctx, e)
	case iam.TopicRealmDeleted:
		err = s.store.DeleteRealm(ctx, e.Realm)
	}
	return iam.Wrap(op, err)
}

func isTopic(t string) bool {
	for _, topic := range Topics() {
		if t == topic {
			return true
		}
	}
	return false
}

// login creates the session of an auth.login.success.
func (s *Service) login(ctx context.Context, e iam.Event) error {
	var d loginEvent
	if err := e.Decode(&d); err != nil {
		return err
	}
	if d.SessionID == "" || d.UserID == "" {
		return iam.Invalidf("sessionId", "auth.login.success without a session or user id")
	}
	in := Session{ID: d.SessionID, UserID: d.UserID, Username: d.Username, IPAddress: d.IPAddress,
		UserAgent: d.UserAgent, Started: e.Time}
	if d.SessionExpiresAt > 0 {
		in.ExpiresAt = time.Unix(d.SessionExpiresAt, 0)
		if !s.now().Before(in.ExpiresAt) {
			return nil // a late delivery of a session that is over
		}
	}
	if d.ClientID != "" {
		key := d.ClientUUID
		if key == "" { // an auth that does not send the UUID
			key = d.ClientID
		}
		in.Clients = map[string]string{key: d.ClientID}
	}
	_, err := s.Create(ctx, e.Realm, in)
	if errors.Is(err, iam.ErrConflict) || errors.Is(err, iam.ErrNotFound) {
		return nil // ended already (or logged out first), or the realm is gone
	}
	return err
}

// userChanged ends the sessions of a deleted user, or of a user whose
// credentials changed (but the session it was done from).
func (s *Service) userChanged(ctx context.Context, e iam.Event) error {
	var d userEvent
	if len(e.Data) > 0 {
		if err := e.Decode(&d); err != nil {
			return err
		}
	}
	if d.ID == "" {
		d.ID = e.Subject
	}
	if d.ID == "" {
		return iam.Invalidf("id", "%s without a user id", e.Type)
	}
	reason, keep := ReasonUserDeleted, ""
	if e.Type == iam.TopicUserCredentialsChanged {
		reason, keep = ReasonCredentialsChanged, d.KeepSessionID
	}
	_, err := s.TerminateUser(ctx, e.Realm, d.ID, reason, keep)
	return err
}
