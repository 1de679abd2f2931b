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
// either). Without a configured token nothing gets through.
func (h *Handler) internalOnly(next http.Handler) http.Handler {
	want := sha256.Sum256([]byte(h.serviceToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := sha256.Sum256([]byte(r.Header.Get(ServiceTokenHeader)))
		if h.serviceToken == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			iamhttp.Error(w, r, iam.Errorf(iam.CodeUnauthenticated, "service token required"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
