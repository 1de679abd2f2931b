package auth

import (
	"context"
	"errors"

	"github.com/opengate-iam/opengate/iam"
)

// Reasons of auth.login.failure events.
const (
	// ReasonInvalidCredentials: unknown user, wrong password or disabled
	// user, when the user service does not say which.
	ReasonInvalidCredentials = "invalid_credentials"
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

// FailureReasons maps causes of a failed UserAuthenticator.Authenticate
// (matched with errors.Is) to login.failure reasons; the first match wins
// and ReasonInvalidCredentials is the default. Set with WithFailureReasons,
// typically from the user service's sentinel errors.
type FailureReasons []struct {
	Err    error
	Reason string
}

// WithFailureReasons tells auth how to name the reason of a failed password
// check in auth.login.failure events.
func WithFailureReasons(r FailureReasons) Option { return func(s *Service) { s.reasons = r } }

func (s *Service) failureReason(err error) string {
	for _, r := range s.reasons {
		if errors.Is(err, r.Err) {
			return r.Reason
		}
	}
	return ReasonInvalidCredentials
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
