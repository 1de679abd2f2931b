package authhttp_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authhttp"
	"github.com/opengate-iam/opengate/iam"
)

func TestDiscoveryAdvertisesTheRealmsEndpoints(t *testing.T) {
	s := newServer(t, "RS256")
	r := s.get(s.url+"/realms/acme/.well-known/openid-configuration", "")
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	iss := s.url + "/realms/acme"
	for k, v := range map[string]string{
		"issuer": iss, "token_endpoint": iss + "/protocol/openid-connect/token",
		"jwks_uri": iss + "/protocol/openid-connect/certs", "userinfo_endpoint": iss + "/protocol/openid-connect/userinfo",
		"introspection_endpoint": iss + "/protocol/openid-connect/token/introspect",
		"revocation_endpoint":    iss + "/protocol/openid-connect/revoke", "end_session_endpoint": iss + "/protocol/openid-connect/logout",
	} {
		if r.str(k) != v {
			t.Errorf("%s = %q, want %q", k, r.str(k), v)
		}
	}
	for _, k := range []string{"grant_types_supported", "token_endpoint_auth_methods_supported", "code_challenge_methods_supported",
		"id_token_signing_alg_values_supported", "response_types_supported", "subject_types_supported"} {
		if _, ok := r.body[k].([]any); !ok {
			t.Errorf("%s missing", k)
		}
	}
	if _, ok := r.body["authorization_endpoint"]; ok {
		t.Error("advertises an authorization endpoint that is not served")
	}
	if r.body["request_uri_parameter_supported"] != false {
		t.Error("request_uri_parameter_supported must be false (its default is true)")
	}
	if got := s.get(s.url+"/realms/ghost/.well-known/openid-configuration", ""); got.status != http.StatusNotFound {
		t.Fatalf("unknown realm: %d", got.status)
	}
	if got := s.get(s.url+"/realms/Bad_Realm/.well-known/openid-configuration", ""); got.status != http.StatusBadRequest {
		t.Fatalf("malformed realm: %d", got.status)
	}
}

func TestCertsServeAParsableJWKS(t *testing.T) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			s := newServer(t, alg)
			r := s.get(s.oidc("acme", "/certs"), "")
			set, err := jwk.Parse([]byte(r.raw))
			if err != nil || set.Len() != 1 {
				t.Fatalf("jwks %s: %v", r.raw, err)
			}
			k, _ := set.Key(0)
			if k.KeyID() == "" || k.Algorithm().String() != alg || k.KeyUsage() != "sig" {
				t.Fatalf("key = %v %v %v", k.KeyID(), k.Algorithm(), k.KeyUsage())
			}
			if _, ok := k.(interface{ D() []byte }); ok {
				t.Fatal("private key material published")
			}
			if strings.Contains(r.raw, `"d"`) || strings.Contains(r.raw, `"p"`) {
				t.Fatalf("private parameters in JWKS: %s", r.raw)
			}
		})
	}
}

func TestTokenEndpointClientAuthentication(t *testing.T) {
	s := newServer(t, "ES256")
	cc := url.Values{"grant_type": {"client_credentials"}}

	basic := s.post(s.oidc("acme", "/token"), cc, "svc", "svc-secret")
	if basic.status != http.StatusOK || basic.str("access_token") == "" || basic.str("token_type") != "Bearer" {
		t.Fatalf("client_secret_basic: %d %s", basic.status, basic.raw)
	}
	if basic.header.Get("Cache-Control") != "no-store" || basic.header.Get("Pragma") != "no-cache" {
		t.Fatalf("cache headers: %v", basic.header)
	}
	for _, k := range []string{"expires_in", "refresh_expires_in", "not-before-policy", "scope"} {
		if _, ok := basic.body[k]; !ok {
			t.Errorf("response lacks %s", k)
		}
	}

	post := s.post(s.oidc("acme", "/token"), url.Values{"grant_type": {"password"}, "client_id": {"app"},
		"client_secret": {"app secret:+%"}, "username": {"alice"}, "password": {"alice-password"}}, "", "")
	if post.status != http.StatusOK || post.str("refresh_token") == "" || post.str("session_state") == "" {
		t.Fatalf("client_secret_post: %d %s", post.status, post.raw)
	}
	// Basic auth form-encodes id and secret (RFC 6749 §2.3.1).
	encoded := s.post(s.oidc("acme", "/token"), url.Values{"grant_type": {"password"}, "username": {"alice"},
		"password": {"alice-password"}}, "app", "app secret:+%")
	if encoded.status != http.StatusOK {
		t.Fatalf("basic with special characters: %d %s", encoded.status, encoded.raw)
	}
	public := s.post(s.oidc("acme", "/token"), url.Values{"grant_type": {"password"}, "client_id": {"spa"},
		"username": {"alice"}, "password": {"alice-password"}}, "", "")
	if public.status != http.StatusOK {
		t.Fatalf("public client: %d %s", public.status, public.raw)
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	s := newServer(t, "ES256")
	tests := []struct {
		name        string
		form        url.Values
		user, pass  string
		contentType string
		status      int
		code        string
		basicHeader bool
	}{
		{"BadBasicSecretIs401WithChallenge", url.Values{"grant_type": {"client_credentials"}}, "svc", "wrong", "", 401, "invalid_client", true},
		{"BadPostSecretIs401", url.Values{"grant_type": {"client_credentials"}, "client_id": {"svc"}, "client_secret": {"x"}}, "", "", "", 401, "invalid_client", false},
		{"TwoAuthMethods", url.Values{"grant_type": {"client_credentials"}, "client_secret": {"svc-secret"}}, "svc", "svc-secret", "", 400, "invalid_request", false},
		{"MismatchedClientID", url.Values{"grant_type": {"client_credentials"}, "client_id": {"app"}}, "svc", "svc-secret", "", 400, "invalid_request", false},
		{"UnsupportedGrant", url.Values{"grant_type": {"implicit"}, "client_id": {"svc"}, "client_secret": {"svc-secret"}}, "", "", "", 400, "unsupported_grant_type", false},
		{"MissingGrant", url.Values{"client_id": {"svc"}, "client_secret": {"svc-secret"}}, "", "", "", 400, "invalid_request", false},
		{"UnauthorizedClient", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"alice-password"}}, "svc", "svc-secret", "", 400, "unauthorized_client", false},
		{"InvalidGrant", url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"nope"}}, "app", "app secret:+%", "", 400, "invalid_grant", false},
		{"InvalidScope", url.Values{"grant_type": {"client_credentials"}, "scope": {"root"}}, "svc", "svc-secret", "", 400, "invalid_scope", false},
		{"JSONBodyIsRefused", url.Values{"grant_type": {"client_credentials"}}, "svc", "svc-secret", "application/json", 400, "invalid_request", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, s.oidc("acme", "/token"), strings.NewReader(tt.form.Encode()))
			ct := tt.contentType
			if ct == "" {
				ct = "application/x-www-form-urlencoded"
			}
			req.Header.Set("Content-Type", ct)
			if tt.user != "" {
				req.SetBasicAuth(url.QueryEscape(tt.user), url.QueryEscape(tt.pass))
			}
			r := s.do(req)
			if r.status != tt.status || r.str("error") != tt.code || r.str("error_description") == "" {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
			if got := r.header.Get("WWW-Authenticate"); (got == `Basic realm="acme"`) != tt.basicHeader {
				t.Fatalf("WWW-Authenticate = %q", got)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Fatal("error without Cache-Control: no-store")
			}
		})
	}
	t.Run("RepeatedParameter", func(t *testing.T) {
		r := s.post(s.oidc("acme", "/token"), url.Values{"grant_type": {"client_credentials", "password"}}, "svc", "svc-secret")
		if r.status != 400 || r.str("error") != "invalid_request" {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("UnknownRealm", func(t *testing.T) {
		r := s.post(s.oidc("ghost", "/token"), url.Values{"grant_type": {"client_credentials"}}, "svc", "svc-secret")
		if r.status != 404 || r.str("error") != "invalid_request" {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("OversizedBody", func(t *testing.T) {
		r := s.post(s.oidc("acme", "/token"), url.Values{"grant_type": {"client_credentials"}, "x": {strings.Repeat("a", 70<<10)}}, "svc", "svc-secret")
		if r.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("GetIsNotAllowed", func(t *testing.T) {
		if r := s.get(s.oidc("acme", "/token"), ""); r.status != http.StatusMethodNotAllowed {
			t.Fatalf("got %d", r.status)
		}
	})
}

func TestRefreshOverHTTPAndReuseDetection(t *testing.T) {
	s := newServer(t, "ES256")
	login := s.passwordLogin("openid")
	refresh := func(rt string) response {
		return s.post(s.oidc("acme", "/token"), url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}, "app", "app secret:+%")
	}
	next := refresh(login.str("refresh_token"))
	if next.status != 200 || next.str("id_token") == "" {
		t.Fatalf("refresh: %d %s", next.status, next.raw)
	}
	if again := refresh(login.str("refresh_token")); again.status != 400 || again.str("error") != "invalid_grant" {
		t.Fatalf("reuse: %d %s", again.status, again.raw)
	}
	if after := refresh(next.str("refresh_token")); after.status != 400 {
		t.Fatalf("family not revoked: %d %s", after.status, after.raw)
	}
}

func TestIntrospectionRevocationAndLogoutOverHTTP(t *testing.T) {
	s := newServer(t, "EdDSA")
	login := s.passwordLogin("openid")
	at := login.str("access_token")
	introspect := func(token string) response {
		return s.post(s.oidc("acme", "/token/introspect"), url.Values{"token": {token}}, "app", "app secret:+%")
	}
	in := introspect(at)
	if in.status != 200 || in.body["active"] != true || in.str("sub") != alice.ID || in.str("client_id") != "app" ||
		in.str("username") != "alice" || in.str("token_type") != "Bearer" || in.str("iss") != s.url+"/realms/acme" {
		t.Fatalf("introspection: %d %s", in.status, in.raw)
	}
	if in := introspect("garbage"); in.status != 200 || in.raw != "{\"active\":false}\n" {
		t.Fatalf("inactive: %d %q", in.status, in.raw)
	}
	if r := s.post(s.oidc("acme", "/token/introspect"), url.Values{"token": {at}, "client_id": {"spa"}}, "", ""); r.status != 401 {
		t.Fatalf("public client introspection: %d %s", r.status, r.raw)
	}
	if r := s.post(s.oidc("acme", "/revoke"), url.Values{"token": {at}, "token_type_hint": {"access_token"}}, "app", "app secret:+%"); r.status != 200 {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	if in := introspect(at); in.body["active"] != false {
		t.Fatalf("revoked token active: %s", in.raw)
	}
	if r := s.post(s.oidc("acme", "/revoke"), url.Values{"token": {"unknown"}}, "app", "app secret:+%"); r.status != 200 {
		t.Fatalf("revoke unknown: %d", r.status)
	}
	if r := s.post(s.oidc("acme", "/logout"), url.Values{"refresh_token": {login.str("refresh_token")}}, "app", "app secret:+%"); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.raw)
	}
	if in := introspect(login.str("refresh_token")); in.body["active"] != false {
		t.Fatalf("refresh token active after logout: %s", in.raw)
	}
	if r := s.post(s.oidc("acme", "/logout"), url.Values{"refresh_token": {login.str("refresh_token")}}, "app", "app secret:+%"); r.status != 400 || r.str("error") != "invalid_grant" {
		t.Fatalf("second logout: %d %s", r.status, r.raw)
	}
}

func TestUserInfoOverHTTP(t *testing.T) {
	s := newServer(t, "RS256")
	at := s.passwordLogin("openid").str("access_token")
	get := s.get(s.oidc("acme", "/userinfo"), at)
	if get.status != 200 || get.str("sub") != alice.ID || get.str("email") != alice.Email || get.str("preferred_username") != "alice" {
		t.Fatalf("GET userinfo: %d %s", get.status, get.raw)
	}
	post := s.post(s.oidc("acme", "/userinfo"), url.Values{"access_token": {at}}, "", "")
	if post.status != 200 || post.str("sub") != alice.ID {
		t.Fatalf("POST userinfo: %d %s", post.status, post.raw)
	}
	missing := s.get(s.oidc("acme", "/userinfo"), "")
	if missing.status != 401 || missing.header.Get("WWW-Authenticate") != `Bearer realm="acme"` {
		t.Fatalf("no token: %d %v", missing.status, missing.header)
	}
	bad := s.get(s.oidc("acme", "/userinfo"), at+"x")
	if bad.status != 401 || !strings.Contains(bad.header.Get("WWW-Authenticate"), `error="invalid_token"`) || bad.str("error") != "invalid_token" {
		t.Fatalf("bad token: %d %v %s", bad.status, bad.header, bad.raw)
	}
	noOpenID := s.get(s.oidc("acme", "/userinfo"), s.passwordLogin("").str("access_token"))
	if noOpenID.status != 403 || noOpenID.str("error") != "insufficient_scope" {
		t.Fatalf("without openid: %d %s", noOpenID.status, noOpenID.raw)
	}
}

func TestAdminEndpoints(t *testing.T) {
	s := newServer(t, "ES256")
	bf := s.url + "/admin/realms/acme/attack-detection/brute-force/users/" + alice.ID
	if r := s.get(bf, ""); r.status != 401 {
		t.Fatalf("anonymous: %d", r.status)
	}
	s.setPrincipal(&iam.Principal{Subject: "u-bob", Realm: "acme", Roles: []string{"user"}})
	if r := s.get(bf, ""); r.status != 403 {
		t.Fatalf("non-admin: %d", r.status)
	}
	s.setPrincipal(&iam.Principal{Subject: "u-admin", Realm: "master", Roles: []string{"admin"}})
	r := s.get(bf, "")
	if r.status != 200 || r.body["numFailures"] != float64(0) || r.body["disabled"] != false ||
		r.str("lastIPFailure") != "n/a" || r.body["lastFailure"] != float64(0) {
		t.Fatalf("clean status: %d %s", r.status, r.raw)
	}
	for i := 0; i < 3; i++ {
		s.post(s.oidc("acme", "/token"), url.Values{"grant_type": {"password"}, "username": {"alice"}, "password": {"bad"}}, "app", "app secret:+%")
	}
	r = s.get(bf, "")
	if r.body["numFailures"] != float64(3) || r.body["disabled"] != true || r.str("lastIPFailure") != "127.0.0.1" || r.body["lastFailure"] == float64(0) {
		t.Fatalf("locked status: %s", r.raw)
	}
	req, _ := http.NewRequest(http.MethodDelete, bf, nil)
	if d := s.do(req); d.status != 204 {
		t.Fatalf("delete: %d %s", d.status, d.raw)
	}
	if r := s.get(bf, ""); r.body["numFailures"] != float64(0) {
		t.Fatalf("after delete: %s", r.raw)
	}

	before := s.get(s.oidc("acme", "/certs"), "")
	rot := s.post(s.url+"/admin/realms/acme/keys/rotate", url.Values{}, "", "")
	if rot.status != 200 || rot.str("kid") == "" || rot.str("algorithm") != "ES256" {
		t.Fatalf("rotate: %d %s", rot.status, rot.raw)
	}
	after := s.get(s.oidc("acme", "/certs"), "")
	if !strings.Contains(after.raw, rot.str("kid")) || len(after.raw) <= len(before.raw) {
		t.Fatalf("jwks after rotation: %s", after.raw)
	}
	s.setPrincipal(&iam.Principal{Subject: "u-x", Realm: "other", Roles: []string{"realm-admin"}})
	if r := s.post(s.url+"/admin/realms/acme/keys/rotate", url.Values{}, "", ""); r.status != 403 {
		t.Fatalf("other realm's admin: %d", r.status)
	}
}

func TestTrustForwardedFor(t *testing.T) {
	fn := authhttp.TrustForwardedFor(netip.MustParsePrefix("10.0.0.0/8"))
	tests := []struct {
		name, remote, xff, want string
	}{
		{"UntrustedPeerIsTheClient", "203.0.113.9:1234", "198.51.100.1", "203.0.113.9"},
		{"TrustedPeerForwardsTheClient", "10.0.0.2:1234", "198.51.100.1", "198.51.100.1"},
		{"SpoofedLeftEntriesAreIgnored", "10.0.0.2:1234", "1.2.3.4, 198.51.100.1, 10.0.0.3", "198.51.100.1"},
		{"MalformedHeaderFallsBackToThePeer", "10.0.0.2:1234", "nonsense", "10.0.0.2"},
		{"NoHeader", "10.0.0.2:1234", "", "10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := fn(r); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestBusyPasswordHashingAnswers503WithRetryAfter: when the user service
// turns a login away because password hashing is at its bound
// (CodeUnavailable with a retry hint), the token endpoint answers 503
// temporarily_unavailable with Retry-After, not invalid_grant and not 500.
func TestBusyPasswordHashingAnswers503WithRetryAfter(t *testing.T) {
	s := newServer(t, "RS256")
	s.dir.Fail = func(m string) error {
		if m != "users.Authenticate" {
			return nil
		}
		return &iam.Error{Code: iam.CodeUnavailable, Message: "too many password checks in progress, retry later",
			Err: &iam.RetryAfterError{After: time.Second}}
	}
	r := s.post(s.oidc("acme", "/token"), url.Values{"grant_type": {"password"}, "client_id": {"spa"},
		"username": {"nobody"}, "password": {"guess"}}, "", "")
	if r.status != http.StatusServiceUnavailable || r.str("error") != auth.ErrorTemporarilyUnavailable {
		t.Fatalf("answer = %d %s", r.status, r.raw)
	}
	if got := r.header.Get("Retry-After"); got != "1" {
		t.Fatalf("Retry-After = %q, want 1", got)
	}
}
