// Package authverify verifies OpenGate access tokens for resource servers:
// the gateway, every OpenGate service, and your own APIs. It applies
// authjwt's policy, the very one the issuer's introspection and userinfo
// apply, so a token valid here is active there and the reverse:
//
//   - the issuer is {issuerBase}/realms/{realm} for a well-formed realm, and
//     the realm and realm_id claims are that realm's name and current
//     immutable id (a realm deleted and created again under its name has
//     another id, so the old realm's tokens die with it);
//   - the signature verifies with the key of that realm's JWKS whose kid
//     matches, and the token's alg equals the key's (RS256, ES256 or EdDSA;
//     no "none", no HMAC, no algorithm confusion);
//   - it is an access token (typ "Bearer"), not expired (no leeway on exp),
//     with iat and nbf at most authjwt.Leeway in the future;
//   - the audience matches when one is required (WithAudience), and neither
//     the token's jti nor its session is revoked when a revocation checker
//     is configured (WithRevocationChecker; fail closed).
//
// Keys and realm ids come from a KeySource. The default, HTTPKeySource,
// fetches each realm's JWKS (with OpenGate's realm_id member) from
// {issuer}/protocol/openid-connect/certs and refreshes it every
// RefreshInterval in the background; an unknown kid forces at most one
// refresh per realm every ten seconds, so forged kids cannot flood the
// issuer. A verifier that follows the realm events (Follow, or HandleEvent
// from your own consumer) drops a realm's keys on realm.created, updated
// and deleted, and from realm.deleted on refuses the deleted realm's tokens
// whatever a cache still holds. In the issuer's process, NewLocalKeys over
// (*auth.Service).JWKS and WithRealmIDs(authService) read the realm's
// current id on every token.
//
// WithTokenCache keeps accepted tokens (by their SHA-256), so a token
// presented again skips parsing and signature verification; expiry, the
// signing key, the realm's current id and the revocation list are still
// checked on every use. The gateway uses it.
//
// The package depends only on the standard library, jwx, google/uuid and
// OpenGate's light packages (iam, iam/iamhttp, auth/authjwt).
//
//	v, err := authverify.New(ctx, "https://id.example.com")
//	...
//	go v.Follow(ctx, kafkaSubscriber, authverify.CacheGroup("orders-api", hostname))
//	api := v.Middleware(mux) // puts the iam.Principal in the request context
//	// in a handler:
//	p := iam.PrincipalFrom(r.Context()) // nil for anonymous requests
package authverify
