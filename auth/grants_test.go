package auth_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/realms"
)

func TestNewRequiresAnIssuerBase(t *testing.T) {
	for _, base := range []string{"", "localhost:8080", "ftp://x", "http://", "https://x/?q=1", "https://x/#f", "https://u:p@x"} {
		e := newEnv(t)
		_, err := e.dir.NewService(base, e.keys, e.tokens)
		if iam.ErrorCode(err) != iam.CodeInvalid {
			t.Errorf("New(%q) err = %v, want invalid", base, err)
		}
	}
	e := newEnv(t)
	svc, err := e.dir.NewService("http://localhost:8080/", e.keys, e.tokens)
	if err != nil || svc.Issuer("acme") != "http://localhost:8080/realms/acme" {
		t.Fatalf("issuer = %q, %v", svc.Issuer("acme"), err)
	}
}

func TestClientCredentialsIssuesAServiceAccountToken(t *testing.T) {
	e := newEnv(t)
	e.dir.SetRoles("acme", iam.ServiceAccountSubject("c-svc-acme"), []string{"offline_access"},
		map[string][]string{"api": {"reader"}, "svc": {"self"}})
	tok := e.mustToken(auth.TokenRequest{GrantType: auth.GrantClientCredentials,
		Client: auth.ClientCredentials{ClientID: "svc", Secret: "svc-secret"}})
	if tok.RefreshToken != "" || tok.IDToken != "" || tok.SessionState != "" || tok.TokenType != "Bearer" || tok.ExpiresIn != 300 {
		t.Fatalf("tokens = %+v", tok)
	}
	h := jwtPart(t, tok.AccessToken, 0)
	if h["alg"] != "ES256" || h["typ"] != "JWT" || h["kid"] == "" {
		t.Fatalf("header = %v", h)
	}
	c := jwtPart(t, tok.AccessToken, 1)
	now := e.clock.Now().Unix()
	want := map[string]any{
		"iss": issuerBase + "/realms/acme", "sub": "service-account-c-svc-acme", "typ": "Bearer", "azp": "svc",
		"client_id": "svc", "realm": "acme", "scope": "profile email", "preferred_username": "service-account-svc",
		"aud": "api", "exp": float64(now + 300), "iat": float64(now),
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %s = %v, want %v", k, c[k], v)
		}
	}
	if c["jti"] == "" || c["sid"] != nil {
		t.Errorf("jti = %v, sid = %v", c["jti"], c["sid"])
	}
	if ra := c["resource_access"].(map[string]any); len(ra) != 2 {
		t.Errorf("resource_access = %v", ra)
	}
	if tok.Scope != "profile email" {
		t.Errorf("scope = %q", tok.Scope)
	}
	in := e.introspect(tok.AccessToken)
	if !in.Active || in.Claims.Subject != "service-account-c-svc-acme" {
		t.Fatalf("introspection = %+v", in)
	}
}

func TestAccessTokenHeaderTypeFollowsTheClientAttribute(t *testing.T) {
	e := newEnv(t)
	e.dir.PutClient(clients.Client{ID: "c-rfc", Realm: "acme", ClientID: "rfc", Enabled: true, ServiceAccountsEnabled: true,
		Attributes: map[string]string{clients.AttrAccessTokenJWTType: "true", clients.AttrAccessTokenLifespan: "60"}}, "s")
	tok := e.mustToken(auth.TokenRequest{GrantType: auth.GrantClientCredentials, Client: auth.ClientCredentials{ClientID: "rfc", Secret: "s"}})
	if h := jwtPart(t, tok.AccessToken, 0); h["typ"] != "at+jwt" {
		t.Fatalf("typ = %v", h["typ"])
	}
	if tok.ExpiresIn != 60 {
		t.Fatalf("expires_in = %d, want the client's lifespan", tok.ExpiresIn)
	}
	if !e.introspect(tok.AccessToken).Active {
		t.Fatal("at+jwt token is not active")
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	svc := auth.ClientCredentials{ClientID: "svc", Secret: "svc-secret"}
	app := auth.ClientCredentials{ClientID: "app", Secret: "app-secret"}
	tests := []struct {
		name string
		req  auth.TokenRequest
		code string
	}{
		{"MissingGrantTypeIsInvalidRequest", auth.TokenRequest{Client: svc}, auth.ErrorInvalidRequest},
		{"UnknownGrantTypeIsUnsupported", auth.TokenRequest{GrantType: "urn:x", Client: svc}, auth.ErrorUnsupportedGrantType},
		{"MissingClientIDIsInvalidClient", auth.TokenRequest{GrantType: auth.GrantClientCredentials}, auth.ErrorInvalidClient},
		{"WrongSecretIsInvalidClient", auth.TokenRequest{GrantType: auth.GrantClientCredentials,
			Client: auth.ClientCredentials{ClientID: "svc", Secret: "nope"}}, auth.ErrorInvalidClient},
		{"UnknownClientIsInvalidClient", auth.TokenRequest{GrantType: auth.GrantClientCredentials,
			Client: auth.ClientCredentials{ClientID: "ghost", Secret: "x"}}, auth.ErrorInvalidClient},
		{"ConfidentialClientWithoutSecretIsInvalidClient", auth.TokenRequest{GrantType: auth.GrantClientCredentials,
			Client: auth.ClientCredentials{ClientID: "svc"}}, auth.ErrorInvalidClient},
		{"PublicClientWithSecretIsInvalidClient", auth.TokenRequest{GrantType: auth.GrantPassword,
			Client: auth.ClientCredentials{ClientID: "spa", Secret: "guess"}, Username: "alice", Password: "alice-password"}, auth.ErrorInvalidClient},
		{"ClientCredentialsWithoutServiceAccountIsUnauthorized", auth.TokenRequest{GrantType: auth.GrantClientCredentials,
			Client: app}, auth.ErrorUnauthorizedClient},
		{"ClientCredentialsForPublicClientIsUnauthorized", auth.TokenRequest{GrantType: auth.GrantClientCredentials,
			Client: auth.ClientCredentials{ClientID: "spa"}}, auth.ErrorUnauthorizedClient},
		{"UnknownScopeIsInvalidScope", auth.TokenRequest{GrantType: auth.GrantClientCredentials, Client: svc,
			Scope: "profile admin"}, auth.ErrorInvalidScope},
		{"PasswordWithoutDirectAccessIsUnauthorized", auth.TokenRequest{GrantType: auth.GrantPassword, Client: svc,
			Username: "alice", Password: "alice-password"}, auth.ErrorUnauthorizedClient},
		{"PasswordWithoutUsernameIsInvalidRequest", auth.TokenRequest{GrantType: auth.GrantPassword, Client: app,
			Password: "alice-password"}, auth.ErrorInvalidRequest},
		{"PasswordWithoutPasswordIsInvalidRequest", auth.TokenRequest{GrantType: auth.GrantPassword, Client: app,
			Username: "alice"}, auth.ErrorInvalidRequest},
		{"WrongPasswordIsInvalidGrant", auth.TokenRequest{GrantType: auth.GrantPassword, Client: app,
			Username: "alice", Password: "wrong"}, auth.ErrorInvalidGrant},
		{"UnknownUserIsInvalidGrant", auth.TokenRequest{GrantType: auth.GrantPassword, Client: app,
			Username: "bob", Password: "alice-password"}, auth.ErrorInvalidGrant},
		{"RefreshWithoutTokenIsInvalidRequest", auth.TokenRequest{GrantType: auth.GrantRefreshToken, Client: app}, auth.ErrorInvalidRequest},
		{"UnknownRefreshTokenIsInvalidGrant", auth.TokenRequest{GrantType: auth.GrantRefreshToken, Client: app,
			RefreshToken: "nope"}, auth.ErrorInvalidGrant},
		{"CodeWithoutCodeIsInvalidRequest", auth.TokenRequest{GrantType: auth.GrantAuthorizationCode, Client: app}, auth.ErrorInvalidRequest},
		{"UnknownCodeIsInvalidGrant", auth.TokenRequest{GrantType: auth.GrantAuthorizationCode, Client: app, Code: "nope"}, auth.ErrorInvalidGrant},
		{"CodeForClientWithoutStandardFlowIsUnauthorized", auth.TokenRequest{GrantType: auth.GrantAuthorizationCode, Client: svc,
			Code: "x"}, auth.ErrorUnauthorizedClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.token(tt.req)
			wantOAuth(t, err, tt.code)
		})
	}
}

func TestTokenRefusesDisabledAndBearerOnlyClients(t *testing.T) {
	e := newEnv(t)
	e.dir.PutClient(clients.Client{ID: "c-off", Realm: "acme", ClientID: "off", ServiceAccountsEnabled: true}, "s")
	e.dir.PutClient(clients.Client{ID: "c-bo", Realm: "acme", ClientID: "bo", Enabled: true, BearerOnly: true, ServiceAccountsEnabled: true}, "s")
	_, err := e.token(auth.TokenRequest{GrantType: auth.GrantClientCredentials, Client: auth.ClientCredentials{ClientID: "off", Secret: "s"}})
	wantOAuth(t, err, auth.ErrorInvalidClient)
	_, err = e.token(auth.TokenRequest{GrantType: auth.GrantClientCredentials, Client: auth.ClientCredentials{ClientID: "bo", Secret: "s"}})
	wantOAuth(t, err, auth.ErrorUnauthorizedClient)
}

func TestTokenRealmErrors(t *testing.T) {
	e := newEnv(t)
	cc := auth.ClientCredentials{ClientID: "svc", Secret: "svc-secret"}
	_, err := e.svc.Token(context.Background(), auth.TokenRequest{Realm: "ghost", GrantType: auth.GrantClientCredentials, Client: cc})
	if !errors.Is(err, iam.ErrNotFound) {
		t.Fatalf("unknown realm: %v", err)
	}
	_, err = e.svc.Token(context.Background(), auth.TokenRequest{Realm: "Bad Realm", GrantType: auth.GrantClientCredentials, Client: cc})
	if !errors.Is(err, iam.ErrInvalid) {
		t.Fatalf("malformed realm: %v", err)
	}
	e.dir.PutRealm(realms.Realm{Name: "off", Enabled: false})
	_, err = e.svc.Token(context.Background(), auth.TokenRequest{Realm: "off", GrantType: auth.GrantClientCredentials, Client: cc})
	wantOAuth(t, err, auth.ErrorInvalidRequest)
}

func TestClientOfOneRealmCannotAuthenticateInAnother(t *testing.T) {
	e := newEnv(t)
	// app exists only in acme.
	_, err := e.svc.Token(context.Background(), auth.TokenRequest{Realm: "other", GrantType: auth.GrantPassword,
		Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"}, Username: "alice", Password: "alice-password"})
	wantOAuth(t, err, auth.ErrorInvalidClient)
}

func TestDependencyFailuresAreNotReportedAsBadCredentials(t *testing.T) {
	e := newEnv(t)
	e.dir.Fail = func(m string) error {
		if m == "clients.Authenticate" {
			return iam.Errorf(iam.CodeUnavailable, "client service down")
		}
		return nil
	}
	_, err := e.token(auth.TokenRequest{GrantType: auth.GrantClientCredentials, Client: auth.ClientCredentials{ClientID: "svc", Secret: "svc-secret"}})
	if !errors.Is(err, iam.ErrUnavailable) || auth.OAuthCode(err) != auth.ErrorTemporarilyUnavailable {
		t.Fatalf("err = %v (oauth %s)", err, auth.OAuthCode(err))
	}
}

func TestPasswordGrantLogsInWithSessionRefreshAndIDToken(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("openid")
	if tok.RefreshToken == "" || tok.IDToken == "" || tok.SessionState == "" || tok.RefreshExpiresIn != 1800 {
		t.Fatalf("tokens = %+v", tok)
	}
	if tok.Scope != "openid profile email" {
		t.Fatalf("scope = %q", tok.Scope)
	}
	ac := jwtPart(t, tok.AccessToken, 1)
	for k, v := range map[string]any{"sub": "u-alice", "sid": tok.SessionState, "preferred_username": "alice",
		"email": "alice@example.com", "email_verified": true, "name": "Alice Liddell", "given_name": "Alice",
		"family_name": "Liddell", "azp": "app", "aud": "api"} {
		if ac[k] != v {
			t.Errorf("access claim %s = %v, want %v", k, ac[k], v)
		}
	}
	if ac["client_id"] != nil {
		t.Errorf("user token carries client_id")
	}
	if roles := ac["realm_access"].(map[string]any)["roles"].([]any); len(roles) != 1 || roles[0] != "user" {
		t.Errorf("realm_access = %v", ac["realm_access"])
	}
	id := jwtPart(t, tok.IDToken, 1)
	for k, v := range map[string]any{"sub": "u-alice", "aud": "app", "azp": "app", "typ": "ID", "sid": tok.SessionState,
		"auth_time": float64(e.clock.Now().Unix())} {
		if id[k] != v {
			t.Errorf("id claim %s = %v, want %v", k, id[k], v)
		}
	}
	if id["at_hash"] == "" {
		t.Error("no at_hash")
	}
	ev := e.events.ofType(iam.TopicLoginSuccess)
	if len(ev) != 1 || ev[0].Subject != "u-alice" || ev[0].Realm != "acme" {
		t.Fatalf("login events = %+v", ev)
	}
	var data auth.LoginSuccessEvent
	if err := ev[0].Decode(&data); err != nil || data.SessionID != tok.SessionState || data.ClientID != "app" ||
		data.IPAddress != "192.0.2.1" || data.GrantType != auth.GrantPassword {
		t.Fatalf("event data = %+v, %v", data, err)
	}
}

func TestPasswordGrantWithoutOpenIDHasNoIDToken(t *testing.T) {
	e := newEnv(t)
	tok := e.passwordLogin("")
	if tok.IDToken != "" || tok.Scope != "profile email" {
		t.Fatalf("tokens = %+v", tok)
	}
}

func TestPasswordGrantForPublicClient(t *testing.T) {
	e := newEnv(t)
	tok := e.mustToken(auth.TokenRequest{GrantType: auth.GrantPassword, Client: auth.ClientCredentials{ClientID: "spa"},
		Username: "alice@example.com", Password: "alice-password"})
	if jwtPart(t, tok.AccessToken, 1)["azp"] != "spa" {
		t.Fatal("wrong azp")
	}
}

func TestPasswordGrantRefusesUsersWithRequiredActions(t *testing.T) {
	e := newEnv(t)
	u := alice
	u.RequiredActions = []string{"UPDATE_PASSWORD"}
	e.dir.PutUser(u, "alice-password")
	_, err := e.token(auth.TokenRequest{GrantType: auth.GrantPassword, Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"},
		Username: "alice", Password: "alice-password"})
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	if iam.ErrorMessage(err) != "Account is not fully set up" {
		t.Fatalf("message = %q", iam.ErrorMessage(err))
	}
}

func TestLoginFailureEventsNeverCarryThePassword(t *testing.T) {
	e := newEnv(t)
	_, err := e.token(auth.TokenRequest{GrantType: auth.GrantPassword, Client: auth.ClientCredentials{ClientID: "app", Secret: "app-secret"},
		Username: "alice", Password: "hunter2-secret", IP: "192.0.2.9", UserAgent: "curl"})
	wantOAuth(t, err, auth.ErrorInvalidGrant)
	ev := e.events.ofType(iam.TopicLoginFailure)
	if len(ev) != 1 {
		t.Fatalf("failure events = %d", len(ev))
	}
	var data auth.LoginFailureEvent
	if err := ev[0].Decode(&data); err != nil || data.UserID != "u-alice" || data.Reason != auth.ReasonInvalidCredentials ||
		data.IPAddress != "192.0.2.9" || data.UserAgent != "curl" {
		t.Fatalf("event = %+v, %v", data, err)
	}
	if strings.Contains(string(ev[0].Data), "hunter2") {
		t.Fatalf("event leaks the password: %s", ev[0].Data)
	}
}

func TestTokenLifetimeIsCappedByMaxTokenLifespan(t *testing.T) {
	e := newEnv(t, auth.WithMaxTokenLifespan(time.Minute))
	tok := e.mustToken(auth.TokenRequest{GrantType: auth.GrantClientCredentials, Client: auth.ClientCredentials{ClientID: "svc", Secret: "svc-secret"}})
	if tok.ExpiresIn != 60 {
		t.Fatalf("expires_in = %d", tok.ExpiresIn)
	}
}

func TestAMisconfiguredDependencyIsAServerError(t *testing.T) {
	e := newEnv(t)
	e.dir.Fail = func(m string) error {
		if m == "clients.Authenticate" {
			return iam.Errorf(iam.CodeForbidden, "a valid service token is required")
		}
		return nil
	}
	_, err := e.token(auth.TokenRequest{GrantType: auth.GrantClientCredentials, Client: auth.ClientCredentials{ClientID: "svc", Secret: "svc-secret"}})
	if auth.OAuthCode(err) != auth.ErrorServerError {
		t.Fatalf("err = %v (oauth %s)", err, auth.OAuthCode(err))
	}
}
