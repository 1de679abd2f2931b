// Package rbac is OpenGate's role service: realm roles and client roles,
// composite roles (acyclic, expanded transitively), role mappings of users, of
// clients' service accounts and of groups, Keycloak's nested groups and their
// members, each realm's default roles, and the effective roles auth puts into
// tokens (realm_access, resource_access): a subject's own, its groups' and
// their ancestors', composites expanded.
//
// The Store interface states what every backend guarantees (rbacmem in
// memory, rbacpg on PostgreSQL; rbactest checks both); Service holds the
// rules; rbachttp serves Keycloak's admin paths; rbackafka runs the
// consumers.
//
// rbac does not own users or clients. It does not check that a user exists;
// it learns clients' public clientIds from client.* events (or a
// ClientResolver) so that client roles are keyed by clientId in tokens. A
// client's service account holds roles as the user id
// "service-account-{clientUUID}" (iam.ServiceAccountSubject).
//
// Administrative power cannot be escalated: with a caller in the context
// (iam.PrincipalFrom, as on every admin API call), granting, revoking,
// composing, renaming or deleting a role that is or contains admin or
// realm-admin needs a caller who holds that power now (escalation.go).
//
// Effective roles are read for every token issued, so they can be cached:
// WithEffectiveRolesCache inside the Service (changes made through it
// invalidate before they return; other replicas' changes arrive by events),
// and NewCachedResolver in front of a remote rbac (rbachttp.Client). Both are
// kept coherent across processes by rbackafka.RunCacheInvalidation.
//
// Embedded use:
//
//	svc := rbac.New(rbacmem.New(bus), rbac.WithEffectiveRolesCache(0, 0)) // default TTL and size
//	if err := svc.EnsureRealmDefaults(ctx, iam.MasterRealm); err != nil { ... }
//	if err := svc.AssignRealmRoles(ctx, iam.MasterRealm, adminID, iam.RoleAdmin); err != nil { ... }
//	realmRoles, clientRoles, err := svc.EffectiveRoles(ctx, iam.MasterRealm, adminID)
//	// realmRoles == ["admin"], clientRoles == map[]
//
// Another service reading roles remotely:
//
//	roles := rbac.NewCachedResolver(rbachttp.NewClient(rbacURL, token))
//	go rbackafka.RunCacheInvalidation(ctx, sub, rbackafka.CacheGroup("auth-service", host), roles)
package rbac
