// Package sessionhttp is the HTTP boundary of the session service: the
// Keycloak-compatible admin API (a user's sessions, a client's sessions,
// per-client counts, logging out a session, a user or the whole realm), the
// self-service account API (the caller's own sessions), and the internal API
// auth asks whether a session is alive, with its remote Client. routes.go
// lists every route.
//
// Admin routes sit behind the admin guard (WithAdminGuard) and account routes
// serve the caller's own sessions: both read the iam.Principal that the
// token-verifying middleware in front put in the request context.
//
//	svc := session.New(store, realms, session.WithPublisher(bus))
//	r := chi.NewRouter()
//	sessionhttp.NewHandler(svc, sessionhttp.WithServiceToken(token), sessionhttp.WithAdminGuard(guard)).Mount(r)
//
//	// In auth-service:
//	checker := sessionhttp.NewClient("http://session-service:8087", token)
//	authSvc, err := auth.New(..., auth.WithSessionChecker(checker))
package sessionhttp
