// Package realmshttp is the HTTP boundary of the realms service: the
// Keycloak-compatible admin API (/admin/realms), the internal read API other
// services use (/internal/realms/{realm}, guarded by a shared service
// token), RealmRepresentation, and Client, the remote realms.Getter.
//
// Server side, mount the handler behind the middleware that verifies tokens
// and puts the iam.Principal in the context; its admin routes sit behind the
// admin guard's middlewares:
//
//	h := realmshttp.NewHandler(svc, realmshttp.WithServiceToken(token), realmshttp.WithAdminGuard(guard))
//	router.Group(func(r chi.Router) { r.Use(verify); h.Mount(r) })
//
// Client side, in another service:
//
//	remote := realmshttp.NewClient("http://realm-service:8083", token)
//	getter := realms.NewCachedGetter(remote)
//	go realmskafka.RunCacheInvalidation(ctx, sub, "auth-service.realm-cache."+instance, getter)
//	r, err := getter.Get(ctx, "acme")
package realmshttp
