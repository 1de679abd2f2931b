package iamhttp

import (
	"context"
	"net/http"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Request deadlines of Standard.
const (
	// DefaultRequestTimeout bounds a whole request (below ServeListener's
	// 60-second WriteTimeout, so the answer to a request that ran out of
	// time can still be written).
	DefaultRequestTimeout = 30 * time.Second
	// DefaultCallTimeout bounds each PostgreSQL statement and Redis command
	// of a request (iam.WithCallTimeout): a dependency that does not answer
	// makes the request fail with 503 after this long, not hang.
	DefaultCallTimeout = 5 * time.Second
)

// Deadlines bounds each request's context by request and gives it the
// per-call budget call (iam.WithCallTimeout), so that every store call the
// request makes has a deadline. A handler whose context has ended answers
// with the error of the call that ran out of time (503 unavailable); the
// middleware itself writes nothing. Zero disables either bound.
func Deadlines(request, call time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			if request > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, request)
				defer cancel()
			}
			if call > 0 {
				ctx = iam.WithCallTimeout(ctx, call)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
