// Package mfahttp serves the MFA service over HTTP — the self-service
// account API (enrol and confirm an authenticator app, recovery codes,
// remove a factor), the admin API (a user's factors and lockout) and the
// internal API the other services call — and Client, the remote side of the
// internal API: it satisfies auth's second-factor interface (Factors,
// Verify, SendEmailOTP) and users' FactorCredentials (Keycloak's credential
// view), as *mfa.Service does in process. Every route is in routes.go.
//
//	h := mfahttp.NewHandler(svc, mfahttp.WithServiceToken(token), mfahttp.WithAdminGuard(guard))
//	r.Group(func(r chi.Router) { r.Use(verifier.Middleware); h.Mount(r) })
//
//	remote := mfahttp.NewClient("http://mfa-service:8088", token)
//	authSvc, err := auth.New(..., auth.WithSecondFactors(remote))
package mfahttp
