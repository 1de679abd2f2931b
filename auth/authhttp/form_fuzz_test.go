package authhttp_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/realms"
)

// oauthErrorCodes are the error codes the form endpoints may answer with
// (RFC 6749 §5.2, RFC 7009, RFC 7662, OpenID Connect).
var oauthErrorCodes = []string{"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
	"unsupported_grant_type", "invalid_scope", "unsupported_token_type", "invalid_token", "insufficient_scope",
	"temporarily_unavailable"}

// FuzzForm sends arbitrary form bodies, content types and Authorization
// headers to the endpoints that read forms (token, introspection,
// revocation) and checks that form and client-credential decoding never
// panics and never turns the caller's mistake into a server error: the
// answer is below 500, and every 4xx is an RFC 6749 JSON error with a known
// code.
func FuzzForm(f *testing.F) {
	s := newServer(f, realms.AlgRS256)
	h := authhttp.NewHandler(s.svc)
	paths := []string{"/token", "/token/introspect", "/revoke"}
	for _, seed := range []struct {
		path                     byte
		body, contentType, authz string
	}{
		{0, "grant_type=client_credentials&client_id=svc&client_secret=svc-secret", "application/x-www-form-urlencoded", ""},
		{0, "grant_type=client_credentials", "application/x-www-form-urlencoded", "Basic c3ZjOnN2Yy1zZWNyZXQ="},
		{0, "grant_type=password&client_id=app&client_secret=app+secret%3A%2B%25&username=alice&password=wrong", "application/x-www-form-urlencoded; charset=utf-8", ""},
		{0, "grant_type=client_credentials&grant_type=password", "application/x-www-form-urlencoded", ""},
		{0, "a=%zz", "application/x-www-form-urlencoded", ""},
		{0, "grant_type=client_credentials", "application/x-www-form-urlencoded", "Basic %%%"},
		{0, "grant_type=client_credentials", "application/x-www-form-urlencoded", "Basic c3Zj"},
		{0, `{"grant_type":"client_credentials"}`, "application/json", ""},
		{0, "grant_type=client_credentials", "", ""},
		{1, "token=abc&client_id=svc&client_secret=svc-secret", "application/x-www-form-urlencoded", ""},
		{2, "token=abc&token_type_hint=refresh_token&client_id=spa", "application/x-www-form-urlencoded", ""},
		{2, "token=abc", "application/x-www-form-urlencoded", "Bearer abc"},
	} {
		f.Add(seed.path, seed.body, seed.contentType, seed.authz)
	}
	f.Add(byte(0), "grant_type=client_credentials&x="+strings.Repeat("y", 1<<20), "application/x-www-form-urlencoded", "")
	f.Fuzz(func(t *testing.T, path byte, body, contentType, authz string) {
		target := s.oidc("acme", paths[int(path)%len(paths)])
		r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("POST %s %q (%q, %q) = %d %s", target, body, contentType, authz, w.Code, w.Body)
		}
		if w.Code < 400 {
			return
		}
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || !slices.Contains(oauthErrorCodes, e.Error) {
			t.Fatalf("POST %s %q = %d with body %s: want an RFC 6749 error (%v)", target, body, w.Code, w.Body, err)
		}
	})
}
