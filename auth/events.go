package auth

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// Reasons of auth.login.failure events.
const (
	// ReasonInvalidCredentials: a wrong password (or an unknown or
	// disabled user, when the user service does not say which).
	ReasonInvalidCredentials = "invalid_credentials"
	// ReasonUserNotFound: no user has that username or email
	// (users.FailureUnknownUser).
	ReasonUserNotFound = "user_not_found"
	// ReasonUserDisabled: the user is disabled (users.FailureDisabled).
	ReasonUserDisabled = "user_disabled"
	// ReasonUserTemporarilyDisabled: the user is locked out by brute-force
	// protection (the password may have been right).
	ReasonUserTemporarilyDisabled = "user_temporarily_disabled"
	// ReasonIPTemporarilyBlocked: the caller's address is locked out by
	// brute-force protection; the password was not checked.
	ReasonIPTemporarilyBlocked = "ip_temporarily_blocked"
	// ReasonRequiredActions: the password was right but the user has
	// required actions, which the password grant cannot perform.
	ReasonRequiredActions = "resolve_required_actions"
)

// LoginSuccessEvent is the data of auth.login.success (subject: user id).
// The session service creates its session record from it.
type LoginSuccessEvent struct {
	UserID    string `json:"userId"`
	Username  string `json:"username"`
	ClientID  string `json:"clientId"` // public clientId
	SessionID string `json:"sessionId"`
	GrantType string `json:"grantType"`
	IPAddress string `json:"ipAddress,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
	// SessionExpiresAt is when the session ends at the latest (Unix seconds).
	SessionExpiresAt int64 `json:"sessionExpiresAt"`
	// ClientUUID is the client's id (ClientID is its public clientId, which
	// an administrator may change).
	ClientUUID string `json:"clientUuid"`
}

// LoginFailureEvent is the data of auth.login.failure (subject: user id when
// known, else empty). It never carries the password, nor the login name that
// was typed (users sometimes type a password into it).
type LoginFailureEvent struct {
	UserID    string `json:"userId,omitempty"`
	ClientID  string `json:"clientId"`
	Reason    string `json:"reason"`
	GrantType string `json:"grantType"`
	IPAddress string `json:"ipAddress,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
}

// LogoutEvent is the data of auth.logout (subject: user id).
type LogoutEvent struct {
	UserID    string `json:"userId"`
	SessionID string `json:"sessionId"`
	ClientID  string `json:"clientId,omitempty"`
}

// failureReason names the reason of a failed UserAuthenticator.Authenticate
// from the users service's LoginFailure in err's chain.
func failureReason(err error) string {
	switch users.LoginFailureReason(err) {
	case users.FailureUnknownUser:
		return ReasonUserNotFound
	case users.FailureDisabled:
		return ReasonUserDisabled
	default:
		return ReasonInvalidCredentials
	}
}

// publish sends one event if a publisher is configured.
func (s *Service) publish(ctx context.Context, topic string, realm iam.Realm, subject string, data any) error {
	if s.events == nil {
		return nil
	}
	e, err := iam.NewEvent(EventSource, topic, realm, subject, data)
	if err != nil {
		return err
	}
	return iam.Wrap("auth.publish", s.events.Publish(ctx, e))
}
