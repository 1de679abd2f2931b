package rbac

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// Scope mappings (Keycloak's): the roles mapped to a client's scope. A
// client that does not allow full scope (clients.Client.FullScopeAllowed
// false) issues tokens carrying only the roles of their subject that are
// within its scope — its own client roles and its scope mappings, with
// everything they contain — as Keycloak's TokenManager.getAccess does; a
// client that allows full scope (the default) ignores its scope. The
// intersection is the token issuer's (auth): rbac answers the two sides,
// EffectiveRoles and ScopeRoleNames.
//
// Mapping a role to a scope follows no escalation rule beyond the
// manage-clients the admin API requires (Keycloak's canMapClientScope is
// manage-clients too): a scope mapping grants nothing by itself. A token
// carries a role only when its subject holds it as well, so a caller who
// maps realm-admin into a client's scope gives nobody a power they did not
// already hold; removing one only narrows what tokens carry.

// scopeKey is the effective-roles cache key of client clientUUID's scope:
// ids never contain a space, so it names no subject.
func scopeKey(clientUUID string) string { return "scope " + clientUUID }

// scopeClient checks realm and returns the client rbac knows by UUID
// (CodeNotFound otherwise).
func (s *Service) scopeClient(ctx context.Context, realm iam.Realm, clientUUID string) (Client, error) {
	if err := realm.Validate(); err != nil {
		return Client{}, err
	}
	return s.Client(ctx, realm, clientUUID)
}

// ScopeRoles returns the roles mapped directly to the scope of client
// clientUUID, realm roles first, then client roles, each by name.
// CodeNotFound if there is no such client.
func (s *Service) ScopeRoles(ctx context.Context, realm iam.Realm, clientUUID string) ([]Role, error) {
	const op = "rbac.ScopeRoles"
	if _, err := s.scopeClient(ctx, realm, clientUUID); err != nil {
		return nil, iam.Wrap(op, err)
	}
	roles, err := s.store.Mappings(ctx, realm, scopePrincipal(clientUUID))
	return roles, iam.Wrap(op, err)
}

// ScopeCompositeRoles returns every role within the scope of client
// clientUUID: its own client roles, the roles mapped to its scope, and all
// they contain, transitively, ordered as ScopeRoles. These are the roles
// its tokens may carry when it does not allow full scope (whatever it
// allows: rbac does not read fullScopeAllowed). CodeNotFound if there is
// no such client.
func (s *Service) ScopeCompositeRoles(ctx context.Context, realm iam.Realm, clientUUID string) ([]Role, error) {
	const op = "rbac.ScopeCompositeRoles"
	if _, err := s.scopeClient(ctx, realm, clientUUID); err != nil {
		return nil, iam.Wrap(op, err)
	}
	roles, err := s.store.EffectiveRoles(ctx, realm, scopePrincipal(clientUUID))
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	SortRoles(roles)
	return roles, nil
}

// ScopeRoleNames returns ScopeCompositeRoles reduced to what tokens carry:
// the names of the realm roles and, by public clientId, of the client
// roles, each list sorted. A client rbac does not know has an empty scope
// (no error). It is the hot path of token issuance for clients that do not
// allow full scope: with WithEffectiveRolesCache the answer may come from
// the cache, and reflects every change made through this Service that
// returned before the call. The slices and map are the caller's.
func (s *Service) ScopeRoleNames(ctx context.Context, realm iam.Realm, clientUUID string) (realmRoles []string, clientRoles map[string][]string, err error) {
	const op = "rbac.ScopeRoleNames"
	if err := realm.Validate(); err != nil {
		return nil, nil, iam.Wrap(op, err)
	}
	if err := validateID("client", clientUUID); err != nil {
		return nil, nil, iam.Wrap(op, err)
	}
	realmRoles, clientRoles, err = s.cache.get(ctx, realm, scopeKey(clientUUID), func(ctx context.Context) ([]string, map[string][]string, error) {
		return s.effectiveRoles(ctx, realm, scopePrincipal(clientUUID))
	})
	return realmRoles, clientRoles, iam.Wrap(op, err)
}

// AddScopeRoles maps the roles with roleIDs to the scope of client
// clientUUID, with scope_mapping.changed. Mapping a role already mapped is
// no error (idempotent, also under concurrent calls). An unknown client or
// role is CodeNotFound and nothing changes. No escalation rule applies
// (see above).
func (s *Service) AddScopeRoles(ctx context.Context, realm iam.Realm, clientUUID string, roleIDList ...string) error {
	const op = "rbac.AddScopeRoles"
	c, err := s.scopeClient(ctx, realm, clientUUID)
	if err != nil {
		return iam.Wrap(op, err)
	}
	ids, err := roleIDs("roles", roleIDList)
	if err != nil || len(ids) == 0 {
		return iam.Wrap(op, err)
	}
	e, err := scopeEvent(c)
	if err != nil {
		return iam.Wrap(op, err)
	}
	err = notFound(s.store.AddMappings(ctx, realm, scopePrincipal(clientUUID), ids, e), "role not found")
	s.cache.invalidateUser(realm, scopeKey(clientUUID))
	return iam.Wrap(op, err)
}

// RemoveScopeRoles unmaps the roles with roleIDs from the scope of client
// clientUUID, with scope_mapping.changed; roles not mapped are ignored.
// CodeNotFound if there is no such client.
func (s *Service) RemoveScopeRoles(ctx context.Context, realm iam.Realm, clientUUID string, roleIDList ...string) error {
	const op = "rbac.RemoveScopeRoles"
	c, err := s.scopeClient(ctx, realm, clientUUID)
	if err != nil {
		return iam.Wrap(op, err)
	}
	ids, err := roleIDs("roles", roleIDList)
	if err != nil || len(ids) == 0 {
		return iam.Wrap(op, err)
	}
	e, err := scopeEvent(c)
	if err != nil {
		return iam.Wrap(op, err)
	}
	err = s.store.RemoveMappings(ctx, realm, scopePrincipal(clientUUID), ids, e)
	s.cache.invalidateUser(realm, scopeKey(clientUUID))
	return iam.Wrap(op, err)
}
