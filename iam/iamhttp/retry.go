package iamhttp

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// SetRetryAfter sets the Retry-After header (RFC 9110 §10.2.3, whole
// seconds, rounded up) when err carries a retry hint (iam.RetryAfter). Error
// calls it; other renderers of errors (the OAuth endpoints) call it too.
func SetRetryAfter(w http.ResponseWriter, err error) {
	d := iam.RetryAfter(err)
	if d <= 0 {
		return
	}
	w.Header().Set("Retry-After", strconv.FormatInt(int64(math.Ceil(d.Seconds())), 10))
}

// retryAfterHeader reads a Retry-After header given in seconds; 0 when it is
// absent, a date, or not a positive number.
func retryAfterHeader(h http.Header) time.Duration {
	n, err := strconv.ParseInt(h.Get("Retry-After"), 10, 32)
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
