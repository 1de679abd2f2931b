// Package rbachttp serves rbac's admin API on Keycloak's paths and offers
// Client, the remote counterpart of the rbac.Service methods other services
// call.
//
// Routes (all under /admin/realms/{realm}; routes.go lists them):
//
//	GET|POST            /roles                                  realm roles
//	GET|PUT|DELETE      /roles/{name}                           (+ /composites[/realm|/clients/{client}], /users)
//	GET|PUT|DELETE      /roles-by-id/{id}                       (+ /composites[/realm|/clients/{client}])
//	GET|POST            /clients/{client}/roles                 client roles ({client} = client UUID)
//	GET|PUT|DELETE      /clients/{client}/roles/{name}          (+ /composites..., /users)
//	GET                 /users/{user}/role-mappings             {realmMappings, clientMappings}
//	GET|POST|DELETE     /users/{user}/role-mappings/realm       (+ /available, /composite)
//	GET|POST|DELETE     /users/{user}/role-mappings/clients/{client}  (+ /available, /composite)
//	GET                 /users/{user}/role-mappings/effective   OpenGate: {realmRoles, clientRoles}
//
// {user} is a user id, or "service-account-{clientUUID}" for a client's
// service account. Every route needs a principal allowed to administer the
// realm in the request context (put there by the auth middleware).
//
//	h := rbachttp.NewHandler(rbac.New(rbacmem.New(nil)))
//	http.Handle("/admin/", authMiddleware(h))
//	// or, on a router shared with other services: h.Register(router)
package rbachttp
