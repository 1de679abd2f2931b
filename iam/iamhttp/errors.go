package iamhttp

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/opengate-iam/opengate/iam"
)

// codes lists every code with a status, in the order CodeOf searches.
func codes() []iam.Code {
	return []iam.Code{iam.CodeInvalid, iam.CodeNotFound, iam.CodeConflict, iam.CodeUnauthenticated,
		iam.CodeForbidden, iam.CodeRateLimited, iam.CodeUnavailable, iam.CodeInternal, iam.CodeTooLarge}
}

// Status is the one table from iam codes to HTTP status codes (500 for
// unknown codes).
func Status(code iam.Code) int {
	switch code {
	case iam.CodeInvalid:
		return http.StatusBadRequest
	case iam.CodeNotFound:
		return http.StatusNotFound
	case iam.CodeConflict:
		return http.StatusConflict
	case iam.CodeUnauthenticated:
		return http.StatusUnauthorized
	case iam.CodeForbidden:
		return http.StatusForbidden
	case iam.CodeRateLimited:
		return http.StatusTooManyRequests
	case iam.CodeUnavailable:
		return http.StatusServiceUnavailable
	case iam.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	default:
		return http.StatusInternalServerError
	}
}

// CodeOf returns the iam code for an HTTP status, the reverse of Status, for
// remote clients. Unknown 4xx are CodeInvalid, others CodeInternal.
func CodeOf(status int) iam.Code {
	for _, c := range codes() {
		if Status(c) == status {
			return c
		}
	}
	if status >= 400 && status < 500 {
		return iam.CodeInvalid
	}
	return iam.CodeInternal
}

func knownCode(c iam.Code) bool {
	for _, k := range codes() {
		if k == c {
			return true
		}
	}
	return false
}

// ErrorBody is the JSON error of every non-OAuth endpoint. ErrorMessage repeats
// the description under Keycloak's field name for its admin clients.
type ErrorBody struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description,omitempty"`
	ErrorMessage     string `json:"errorMessage,omitempty"`
	Field            string `json:"field,omitempty"`
}

// Error renders err as an ErrorBody with the status of its code. Internal
// errors are logged with their cause and shown only as "internal error". An
// error with a retry hint (iam.RetryAfterError) also sets Retry-After.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	code := iam.ErrorCode(err)
	status := Status(code)
	msg := iam.ErrorMessage(err)
	if status >= 500 {
		Logger(r.Context()).ErrorContext(r.Context(), "request failed",
			slog.String("code", string(code)), slog.String("error", err.Error()))
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer`)
	}
	SetRetryAfter(w, err)
	JSON(w, status, ErrorBody{Error: string(code), ErrorDescription: msg, ErrorMessage: msg, Field: iam.ErrorField(err)})
}

// ResponseError turns a non-2xx response into an *iam.Error with the code the
// server sent (or the one its status implies), for remote clients; a
// Retry-After header in seconds becomes the error's retry hint
// (iam.RetryAfter), so a caller passing the error on passes the hint on. It
// reads and closes nothing but a bounded part of the body; the caller closes
// it.
func ResponseError(op string, resp *http.Response) error {
	var body ErrorBody
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	code := iam.Code(body.Error)
	if !knownCode(code) {
		code = CodeOf(resp.StatusCode)
	}
	msg := body.ErrorDescription
	if msg == "" {
		msg = body.ErrorMessage
	}
	var cause error = errors.New(resp.Status)
	if d := retryAfterHeader(resp.Header); d > 0 {
		cause = &iam.RetryAfterError{After: d, Err: cause}
	}
	return &iam.Error{Code: code, Op: op, Message: msg, Field: body.Field, Err: cause}
}
