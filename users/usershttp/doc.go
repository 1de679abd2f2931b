// Package usershttp is the HTTP boundary of the users service: the
// Keycloak-compatible admin API (users, credentials, action emails,
// partialImport), the public login actions (email verification, forgotten
// password), the self-service account API, and the internal API with its
// remote Client. routes.go lists every route.
//
// Admin routes sit behind the admin guard (WithAdminGuard) and account routes
// serve the caller's own user: both read the iam.Principal that the
// token-verifying middleware in front put in the request context; handlers
// never parse tokens. Action keys travel only in the query string or body,
// which the request logger never records.
//
//	svc := users.New(store, realmsSvc)
//	r := chi.NewRouter()
//	usershttp.NewHandler(svc, usershttp.WithServiceToken(token), usershttp.WithAdminGuard(guard)).Mount(r)
//
//	// In another service:
//	c := usershttp.NewClient("http://user-service:8082", token)
//	u, err := c.Authenticate(ctx, "acme", "alice", password)
package usershttp
