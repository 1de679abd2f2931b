package auth

import (
	"errors"
	"fmt"

	"github.com/opengate-iam/opengate/iam"
)

// OAuth 2.0 error codes (RFC 6749 §5.2, RFC 6750 §3.1, RFC 7009 §2.2.1).
const (
	ErrorInvalidRequest         = "invalid_request"
	ErrorInvalidClient          = "invalid_client"
	ErrorInvalidGrant           = "invalid_grant"
	ErrorUnauthorizedClient     = "unauthorized_client"
	ErrorUnsupportedGrantType   = "unsupported_grant_type"
	ErrorInvalidScope           = "invalid_scope"
	ErrorInvalidToken           = "invalid_token"
	ErrorInsufficientScope      = "insufficient_scope"
	ErrorUnsupportedTokenType   = "unsupported_token_type"
	ErrorServerError            = "server_error"
	ErrorTemporarilyUnavailable = "temporarily_unavailable"
)

// OAuthError carries the RFC 6749 error code of a failed OAuth request. The
// Service returns it inside an *iam.Error (whose Code classifies it for
// non-OAuth callers and whose Message is the error_description), so
//
//	var oe *auth.OAuthError
//	if errors.As(err, &oe) { ... oe.Code ... }
//
// finds it; OAuthCode does that and maps every other error.
type OAuthError struct {
	Code string // one of the Error* constants
}

// Error returns the OAuth error code.
func (e *OAuthError) Error() string { return "oauth2: " + e.Code }

// OAuthCode returns the RFC 6749 error code for err: the code of an
// *OAuthError in its chain, or one derived from its iam code
// (unavailable and rate_limited → temporarily_unavailable, invalid and
// not_found → invalid_request, unauthenticated → invalid_client, internal
// and anything else → server_error).
func OAuthCode(err error) string {
	var oe *OAuthError
	if errors.As(err, &oe) {
		return oe.Code
	}
	switch iam.ErrorCode(err) {
	case iam.CodeInvalid, iam.CodeTooLarge, iam.CodeNotFound:
		return ErrorInvalidRequest
	case iam.CodeUnauthenticated:
		return ErrorInvalidClient
	case iam.CodeUnavailable, iam.CodeRateLimited:
		return ErrorTemporarilyUnavailable
	default:
		return ErrorServerError
	}
}

// oauthErr returns an *iam.Error for OAuth error code with a caller-safe
// description. The iam code follows the OAuth code's meaning.
func oauthErr(code string, format string, args ...any) error {
	ic := iam.CodeInvalid
	switch code {
	case ErrorInvalidClient, ErrorInvalidGrant, ErrorInvalidToken:
		ic = iam.CodeUnauthenticated
	case ErrorUnauthorizedClient, ErrorInsufficientScope:
		ic = iam.CodeForbidden
	}
	return &iam.Error{Code: ic, Message: fmt.Sprintf(format, args...), Err: &OAuthError{Code: code}}
}

// Messages shared by several grants. The password grant answers every
// credential failure with msgInvalidUserCredentials, so that locked,
// disabled, unknown users and wrong passwords look alike.
const (
	msgInvalidClient          = "Invalid client or Invalid client credentials"
	msgInvalidUserCredentials = "Invalid user credentials"
	msgInvalidRefreshToken    = "Invalid refresh token"
	msgInvalidCode            = "Code not valid"
)

// passDependencyError returns err wrapped with op unless it is one of the
// answers a dependency gives about the caller's input (unauthenticated,
// not_found, invalid), for which it returns nil and the caller answers with
// its own OAuth error. Anything else — unavailable, internal, or forbidden
// (a misconfigured service token between services) — is a server failure,
// never reported as bad credentials.
func passDependencyError(op string, err error) error {
	switch iam.ErrorCode(err) {
	case "", iam.CodeUnauthenticated, iam.CodeNotFound, iam.CodeInvalid:
		return nil
	}
	return iam.Wrap(op, err)
}
