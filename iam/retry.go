package iam

import (
	"errors"
	"time"
)

// RetryAfterError is a cause that tells the caller when a retry may succeed:
// an *Error with CodeUnavailable or CodeRateLimited carries it as its Err,
// and the HTTP boundary renders After as a Retry-After header.
//
//	return &iam.Error{Code: iam.CodeUnavailable, Message: "server busy, retry later",
//		Err: &iam.RetryAfterError{After: time.Second, Err: cause}}
type RetryAfterError struct {
	After time.Duration // how long to wait before retrying; > 0
	Err   error         // the underlying cause, for logs; may be nil
}

// Error renders the hint and its cause for logs.
func (e *RetryAfterError) Error() string {
	s := "retry after " + e.After.String()
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the cause.
func (e *RetryAfterError) Unwrap() error { return e.Err }

// RetryAfter returns the After of the first *RetryAfterError in err's chain,
// or 0 when there is none.
func RetryAfter(err error) time.Duration {
	var r *RetryAfterError
	if errors.As(err, &r) && r.After > 0 {
		return r.After
	}
	return 0
}
