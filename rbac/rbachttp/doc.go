// Package rbachttp serves rbac's admin API on Keycloak's paths and offers
// Client, the remote counterpart of the rbac.Service methods other services
// call.
//
// Routes (all under /admin/realms/{realm}; routes.go lists them):
//
//	GET|POST            /roles                                  realm roles
//	GET|PUT|DELETE      /roles/{name}                           (+ /composites[/realm|/clients/{client}], /users)
//	GET|PUT|DELETE      /roles-by-id/{roleId}                   (+ /composites[/realm|/clients/{client}])
//	GET|POST            /clients/{id}/roles                     client roles ({id} = client UUID)
//	GET|PUT|DELETE      /clients/{id}/roles/{name}              (+ /composites..., /users)
//	GET                 /users/{id}/role-mappings               {realmMappings, clientMappings}
//	GET|POST|DELETE     /users/{id}/role-mappings/realm         (+ /available, /composite)
//	GET|POST|DELETE     /users/{id}/role-mappings/clients/{client}  (+ /available, /composite)
//	GET|POST            /groups                                 top-level groups, search; create or move to the top
//	GET                 /groups/count                           {"count": n}
//	GET|PUT|DELETE      /groups/{groupId}                       (+ /members)
//	GET|POST            /groups/{groupId}/children              subgroups; create or move under it
//	GET|POST|DELETE     /groups/{groupId}/role-mappings/...     as a user's role mappings
//	GET                 /group-by-path/{path}                   the group at /top/sub, with its subtree
//	GET                 /users/{id}/groups                      (+ /count) the user's groups
//	PUT|DELETE          /users/{id}/groups/{groupId}            join, leave
//
// A user {id} is a user id, or "service-account-{clientUUID}" for a
// client's service account. Every admin route sits behind the admin guard
// (WithAdminGuard): it needs a principal in the request context (put there
// by the token-verifying middleware in front) holding the Keycloak
// realm-management role of the route's group in the realm (see
// Handler.Mount: roles with view-realm/manage-realm or
// view-clients/manage-clients, groups with query-groups, view-users,
// manage-users). Granting roles follows rbac's escalation rule.
//
// Internal routes, for other services (X-OpenGate-Service-Token; the gateway
// must not expose /internal), used by Client:
//
//	GET  /internal/realms/{realm}/users/{id}/effective-roles  {realmRoles, clientRoles}
//	POST /internal/realms/{realm}/users/{id}/realm-roles      {"roles": [names]} → 204
//	GET  /internal/realms/{realm}/users/{id}/group-paths      {"paths": [...]} of the user's groups
//
// Wiring:
//
//	h := rbachttp.NewHandler(svc, rbachttp.WithServiceToken(token), rbachttp.WithAdminGuard(guard))
//	h.Mount(router) // on a router shared with other services, behind the verifier
//	roles := rbachttp.NewClient("http://rbac-service:8084", token) // in another service
package rbachttp
