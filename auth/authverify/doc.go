// Package authverify verifies OpenGate (and Keycloak-format) access tokens for
// resource servers: the gateway, every OpenGate service, and your own APIs.
//
// A token is accepted only if its issuer is {issuerBase}/realms/{realm} for a
// well-formed realm, its signature verifies with a key of that realm's JWKS
// whose kid matches and whose alg equals the token's alg (no "none", no
// algorithm confusion), it is an access token (typ "Bearer"), exp/nbf/iat hold
// within a bounded clock skew, the audience matches when one is required, and
// its jti is not revoked when a revocation checker is configured.
//
// The JWKS of each realm is fetched from
// {issuer}/protocol/openid-connect/certs and cached with auto-refresh (jwx
// jwk.Cache); an unknown kid forces at most one refresh per realm every ten
// seconds, so forged kids cannot flood the issuer.
//
//	v, err := authverify.New(ctx, "https://id.example.com")
//	...
//	api := v.Middleware(mux) // puts the iam.Principal in the request context
//	// in a handler:
//	p := iam.PrincipalFrom(r.Context()) // nil for anonymous requests
package authverify
