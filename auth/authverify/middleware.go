package authverify

import (
	"net/http"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// BearerToken returns the token of an "Authorization: Bearer" header, or "".
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// Middleware verifies a bearer token when the request has one and puts its
// principal in the context; an invalid token is answered 401 with
// WWW-Authenticate: Bearer error="invalid_token". Requests without a token
// pass through anonymous: the handlers decide whether that is allowed.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw := BearerToken(r)
		if raw == "" {
			next.ServeHTTP(w, r)
			return
		}
		p, err := v.Verify(r.Context(), raw)
		if err != nil {
			if iam.ErrorCode(err) == iam.CodeUnauthenticated {
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			}
			iamhttp.Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(iam.WithPrincipal(r.Context(), p)))
	})
}

// RequireAuthenticated answers 401 to requests without a principal.
func RequireAuthenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if iam.PrincipalFrom(r.Context()) == nil {
			iamhttp.Error(w, r, iam.Errorf(iam.CodeUnauthenticated, "authentication required"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
