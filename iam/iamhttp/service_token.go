package iamhttp

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"github.com/opengate-iam/opengate/iam"
)

// ServiceTokenHeader carries the shared service secret
// (OPENGATE_SERVICE_TOKEN) on the /internal routes services call on each
// other. The gateway never forwards /internal.
const ServiceTokenHeader = "X-OpenGate-Service-Token"

// RequireServiceToken lets a request through only when it carries token in
// ServiceTokenHeader, compared in constant time (through SHA-256, so lengths
// do not leak either). With an empty token nothing gets through. A missing or
// wrong token is 403 (CodeForbidden), so that a misconfigured service is never
// mistaken for a failed authentication of an end user or client (401).
func RequireServiceToken(token string) func(http.Handler) http.Handler {
	want := sha256.Sum256([]byte(token))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got := sha256.Sum256([]byte(r.Header.Get(ServiceTokenHeader)))
			if token == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				Error(w, r, iam.Errorf(iam.CodeForbidden, "a valid service token is required"))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
