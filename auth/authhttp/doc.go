// Package authhttp serves auth's Keycloak-compatible HTTP API (routes.go):
// discovery, JWKS, the token endpoint (form-encoded, client_secret_basic or
// client_secret_post, public clients by client_id), introspection (RFC
// 7662), revocation (RFC 7009), userinfo, logout, and the admin endpoints for
// key rotation and brute-force status. OAuth endpoints answer RFC 6749 error
// JSON with Cache-Control: no-store; admin endpoints use iamhttp's errors and
// authorize the iam.Principal that auth/authverify's middleware put in the
// context.
//
//	h := authhttp.New(svc, authhttp.WithClientIP(authhttp.TrustForwardedFor(gatewayCIDR)))
//	r := chi.NewRouter()
//	h.Routes(r) // or serve h itself
//	http.ListenAndServe(":8081", iamhttp.Standard(verifier.Middleware(r), log))
package authhttp
