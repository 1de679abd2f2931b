// Package clientshttp is the HTTP boundary of the clients service: the
// Keycloak-compatible admin API (/admin/realms/{realm}/clients, including
// client-secret), the internal API other services use (/internal/..., guarded
// by a shared service token: read by id or clientId, authenticate),
// ClientRepresentation, and Client, the remote clients.Reader.
//
// Server side, mount the handler behind the middleware that verifies tokens
// and puts the iam.Principal in the context; its admin routes sit behind the
// admin guard:
//
//	h := clientshttp.NewHandler(svc, clientshttp.WithServiceToken(token), clientshttp.WithAdminGuard(guard))
//	router.Group(func(r chi.Router) { r.Use(verify); h.Mount(r) })
//
// Client side, in the auth service:
//
//	remote := clientshttp.NewClient("http://client-service:8085", token)
//	reader := clients.NewCachedReader(remote)
//	go clientskafka.RunCacheInvalidation(ctx, sub, clientskafka.CacheGroup("auth-service", host), reader)
//	c, err := reader.Authenticate(ctx, "acme", clientID, secret)
package clientshttp
