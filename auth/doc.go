// Package auth is OpenGate's OAuth 2.0 / OpenID Connect token service: the
// token endpoint's grants (client_credentials, password, refresh_token and
// authorization_code with PKCE), access and ID tokens signed with per-realm
// keys (RS256, ES256 or EdDSA), refresh-token rotation with reuse detection,
// introspection, revocation, userinfo, logout, brute-force protection and the
// auth.login.success / auth.login.failure / auth.logout events.
//
// The Service depends on the other services through small interfaces
// declared here (RealmGetter, ClientAuthenticator, UserAuthenticator,
// RoleResolver, optionally UserFinder and SessionChecker) and on two stores:
// a KeyStore for signing keys (authmem, authpg) and a TokenStore for
// short-lived state (authmem, authredis). JWS signing and verification use
// the standard library only; signing keys are cached parsed in memory.
// authhttp serves the Keycloak-compatible endpoints, authkafka runs the
// event consumers.
//
//	svc, err := auth.New("https://id.example.com", realmSvc, clientSvc, userSvc, rbacSvc,
//		authmem.NewKeyStore(), authmem.New(), auth.WithPublisher(bus))
//	if err != nil { ... }
//	tok, err := svc.Token(ctx, auth.TokenRequest{
//		Realm:     "acme",
//		GrantType: auth.GrantClientCredentials,
//		Client:    auth.ClientCredentials{ClientID: "billing", Secret: secret},
//	})
//	// tok.AccessToken is a JWT with iss https://id.example.com/realms/acme.
package auth
