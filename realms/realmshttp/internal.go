package realmshttp

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// ServiceTokenHeader carries the shared service secret on /internal calls.
const ServiceTokenHeader = "X-OpenGate-Service-Token"

// internalOnly lets a request through only with the configured service
// token, compared in constant time (through SHA-256, so lengths do not leak
// either). Without a configured token nothing gets through. A missing or
// wrong token is 403 (CodeForbidden), so that a misconfigured caller is
// never mistaken for a failed authentication of a client (401).
func (h *Handler) internalOnly(next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(h.serviceToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get(ServiceTokenHeader)))
		if h.serviceToken == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			iamhttp.Error(w, r, iam.Errorf(iam.CodeForbidden, "a valid service token is required"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
