package iam

import (
	"errors"
	"fmt"
)

// Code classifies an Error. Codes are append-only: once published a code keeps
// its meaning, and every boundary (HTTP, OAuth, Kafka) maps codes, never
// messages.
type Code string

// Error codes. Append only.
const (
	// CodeInvalid: the caller sent a malformed or unacceptable value.
	CodeInvalid Code = "invalid"
	// CodeNotFound: the object does not exist (or is in another realm).
	CodeNotFound Code = "not_found"
	// CodeConflict: the change collides with existing state (duplicate name).
	CodeConflict Code = "conflict"
	// CodeUnauthenticated: no, or no valid, credentials.
	CodeUnauthenticated Code = "unauthenticated"
	// CodeForbidden: authenticated but not allowed.
	CodeForbidden Code = "forbidden"
	// CodeRateLimited: too many attempts; retry later.
	CodeRateLimited Code = "rate_limited"
	// CodeUnavailable: a dependency is down; retry later.
	CodeUnavailable Code = "unavailable"
	// CodeInternal: a bug or an unexpected failure. Its details are logged,
	// never shown to callers.
	CodeInternal Code = "internal"
	// CodeTooLarge: the request body or a value exceeds a size limit.
	CodeTooLarge Code = "too_large"
)

// Error is the one error type of OpenGate. Message is safe to show to the
// caller; Err (the cause) and Op (where it happened) are for logs only.
type Error struct {
	Code    Code
	Op      string // operation, e.g. "users.Create"; for logs
	Message string // human-readable, safe for callers; never contains secrets
	Field   string // the offending input field (CodeInvalid) or the field whose value is taken (CodeConflict), if any
	Err     error  // underlying cause; for logs
}

// Error renders the error for logs: op, code, message and cause.
func (e *Error) Error() string {
	s := ""
	if e.Op != "" {
		s = e.Op + ": "
	}
	s += string(e.Code)
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause so errors.Is/As see through an Error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code and no message,
// so errors.Is(err, iam.ErrNotFound) works on any not-found error.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	if !ok {
		return false
	}
	return t.Code == e.Code && t.Message == "" && t.Op == "" && t.Err == nil
}

// Sentinels for errors.Is comparisons by code.
var (
	ErrInvalid         = &Error{Code: CodeInvalid}
	ErrNotFound        = &Error{Code: CodeNotFound}
	ErrConflict        = &Error{Code: CodeConflict}
	ErrUnauthenticated = &Error{Code: CodeUnauthenticated}
	ErrForbidden       = &Error{Code: CodeForbidden}
	ErrRateLimited     = &Error{Code: CodeRateLimited}
	ErrUnavailable     = &Error{Code: CodeUnavailable}
	ErrInternal        = &Error{Code: CodeInternal}
	ErrTooLarge        = &Error{Code: CodeTooLarge}
)

// ErrorCode returns the code of the first *Error in err's chain; nil gives "",
// an error without an *Error in its chain is CodeInternal.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the caller-safe message of the first *Error in err's
// chain, or a generic text for internal errors.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" && e.Code != CodeInternal {
		return e.Message
	}
	if e != nil && e.Code != CodeInternal {
		return string(e.Code)
	}
	return "internal error"
}

// ErrorField returns the offending input field of the first *Error in err's
// chain, or "".
func ErrorField(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// Errorf returns an *Error with code and a formatted caller-safe message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalidf returns a CodeInvalid error naming the offending field.
func Invalidf(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf returns a CodeNotFound error.
func NotFoundf(format string, args ...any) *Error {
	return Errorf(CodeNotFound, format, args...)
}

// Conflictf returns a CodeConflict error.
func Conflictf(format string, args ...any) *Error {
	return Errorf(CodeConflict, format, args...)
}

// Duplicatef returns a CodeConflict error naming the field whose value
// another object already has ("username", "email", "clientId"). Stores
// return it so that callers tell conflicts apart by ErrorField, never by
// message.
func Duplicatef(field, format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns err annotated with op. An *Error keeps its code and message; any
// other error becomes CodeInternal with err as the (log-only) cause. Wrap(op,
// nil) is nil.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		c := *e
		if c.Op == "" {
			c.Op = op
		} else {
			c.Op = op + ": " + c.Op
		}
		c.Err = e.Err
		return &c
	}
	return &Error{Code: CodeInternal, Op: op, Err: err}
}
