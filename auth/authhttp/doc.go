// Package authhttp serves auth's Keycloak-compatible HTTP API (routes.go):
// discovery, JWKS, the token endpoint (form-encoded, client_secret_basic or
// client_secret_post, public clients by client_id), introspection (RFC
// 7662), revocation (RFC 7009), userinfo, logout, and the admin endpoints for
// key rotation and brute-force status. OAuth endpoints answer RFC 6749 error
// JSON with Cache-Control: no-store; admin endpoints use iamhttp's errors and
// sit behind the admin guard (WithAdminGuard), which authorizes the
// iam.Principal that auth/authverify's middleware put in the context.
//
//	h := authhttp.NewHandler(svc, authhttp.WithClientIP(authhttp.TrustForwardedFor(gatewayCIDR)),
//		authhttp.WithAdminGuard(guard))
//	r := chi.NewRouter()
//	h.MountPublic(r) // the OIDC endpoints authenticate their callers themselves
//	r.Group(func(r chi.Router) { r.Use(verifier.Middleware); h.Mount(r) })
//	http.ListenAndServe(":8081", iamhttp.Standard(r, log))
package authhttp
