package authhttp

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// oauthBody is the RFC 6749 §5.2 error body.
type oauthBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
}

// oauthStatus is the HTTP status of an OAuth error code.
func oauthStatus(code string, err error) int {
	switch code {
	case auth.ErrorInvalidClient, auth.ErrorInvalidToken:
		return http.StatusUnauthorized
	case auth.ErrorInsufficientScope:
		return http.StatusForbidden
	case auth.ErrorServerError:
		return http.StatusInternalServerError
	case auth.ErrorTemporarilyUnavailable:
		return http.StatusServiceUnavailable
	}
	var oe *auth.OAuthError
	if !errors.As(err, &oe) {
		// invalid_request derived from an iam code: keep its status (404 for
		// an unknown realm, 413 for an oversized body).
		return iamhttp.Status(iam.ErrorCode(err))
	}
	return http.StatusBadRequest
}

// noStore marks a response as not cacheable (RFC 6749 §5.1).
func noStore(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
}

// oauthError writes err as an RFC 6749 error. A client that tried HTTP
// basic authentication gets 401 with WWW-Authenticate: Basic on
// invalid_client; a bearer-token failure gets WWW-Authenticate: Bearer
// (RFC 6750 §3); an error with a retry hint (a busy password hasher) sets
// Retry-After. Server errors are logged; their details never reach the
// caller.
func (h *Handler) oauthError(w http.ResponseWriter, r *http.Request, err error, challenge string) {
	code := auth.OAuthCode(err)
	status := oauthStatus(code, err)
	msg := iam.ErrorMessage(err)
	if status >= 500 {
		iamhttp.Logger(r.Context()).ErrorContext(r.Context(), "oauth request failed",
			slog.String("code", string(iam.ErrorCode(err))), slog.String("error", err.Error()))
	}
	realm := strconv.Quote(chiRealm(r))
	switch challenge {
	case "basic":
		if status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", "Basic realm="+realm)
		}
	case "bearer":
		if status == http.StatusUnauthorized || status == http.StatusForbidden {
			v := "Bearer realm=" + realm
			if code == auth.ErrorInvalidToken || code == auth.ErrorInsufficientScope {
				v += ", error=" + strconv.Quote(code) + ", error_description=" + strconv.Quote(msg)
			}
			w.Header().Set("WWW-Authenticate", v)
		}
	}
	iamhttp.SetRetryAfter(w, err)
	noStore(w)
	iamhttp.JSON(w, status, oauthBody{Error: code, ErrorDescription: msg})
}
