// Package notifyhttp is the notify service's HTTP API: the delivery log,
// retries, Keycloak's testSMTPConnection and the realm's template
// overrides for administrators, and the internal e-mail OTP endpoint the
// mfa service calls (routes.go lists them); and Client, which calls that
// endpoint and implements mfa.Sender, so that a remote mfa-service sends
// its codes through notification-service as the all-in-one does in
// process.
//
//	h := notifyhttp.NewHandler(svc, notifyhttp.WithServiceToken(token), notifyhttp.WithAdminGuard(guard))
//	r.Group(func(r chi.Router) { r.Use(verifier.Middleware); h.Mount(r) })
//
//	sender := notifyhttp.NewClient("http://notification-service:8086", token) // mfa.WithSender(sender)
package notifyhttp
