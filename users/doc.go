// Package users is OpenGate's users service: the User type (Keycloak's
// UserRepresentation), the Store interface every backend implements
// (userspg, usersmem; conformance suite userstest), and the Service with the
// rules — validation, case-insensitive unique usernames and emails, the
// realm's password policy and history, argon2id hashing (package password),
// Keycloak imports, authentication for the auth service, single-use email
// verification and password-reset tokens, and the events user.created,
// user.updated, user.deleted, user.email_verified,
// user.verify_email_requested and user.password_reset_requested.
//
// The last two carry an action link with a single-use token for the notify
// service: their topics are sensitive and their payloads must never be
// logged.
//
// Password hashing is bounded (WithHashLimit; by default as many hashes at
// once as the process has CPUs, and a short queue): a login, password change
// or import beyond the bound answers CodeUnavailable with a retry hint
// (iam.RetryAfter; 503 with Retry-After over HTTP) instead of taking more
// memory, and a login for an unknown user is counted like any other.
//
// The Service reads realm settings through RealmGetter (satisfied by
// *realms.Service); a realm that does not exist is not found on every call.
//
//	svc := users.New(usersmem.New(bus), realmsSvc, users.WithPublicURL("https://id.example.com"))
//	u, err := svc.Create(ctx, "acme", users.User{Username: "alice", Email: "alice@example.com", Enabled: true},
//		users.NewCredential{Value: "correct horse battery staple"})
//	...
//	u, err = svc.Authenticate(ctx, "acme", "alice", attempt)
//	if errors.Is(err, iam.ErrUnauthenticated) { ... } // users.LoginFailureReason(err) for events
package users
