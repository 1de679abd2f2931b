package rbac

import (
	"cmp"
	"context"
	"slices"

	"github.com/opengate-iam/opengate/iam"
)

// principal parses userID and, for a service account, checks that rbac
// knows its client (CodeNotFound otherwise).
func (s *Service) principal(ctx context.Context, realm iam.Realm, userID string, checkClient bool) (Principal, error) {
	if err := realm.Validate(); err != nil {
		return Principal{}, err
	}
	p, err := PrincipalOf(userID)
	if err != nil {
		return Principal{}, err
	}
	if checkClient && p.Type == PrincipalServiceAccount {
		if _, err := s.Client(ctx, realm, p.ID); err != nil {
			return Principal{}, err
		}
	}
	return p, nil
}

// UserRoles returns the roles mapped directly to userID (a user id or
// "service-account-{clientUUID}"), realm roles first, then client roles,
// each by name. rbac does not check that the user exists.
func (s *Service) UserRoles(ctx context.Context, realm iam.Realm, userID string) ([]Role, error) {
	const op = "rbac.UserRoles"
	p, err := s.principal(ctx, realm, userID, false)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	roles, err := s.store.Mappings(ctx, realm, p)
	return roles, iam.Wrap(op, err)
}

// UserCompositeRoles returns every role userID holds — its mappings and all
// they contain, transitively — realm roles first, then client roles, each by
// name.
func (s *Service) UserCompositeRoles(ctx context.Context, realm iam.Realm, userID string) ([]Role, error) {
	const op = "rbac.UserCompositeRoles"
	p, err := s.principal(ctx, realm, userID, false)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	roles, err := s.store.EffectiveRoles(ctx, realm, p)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	SortRoles(roles)
	return roles, nil
}

// EffectiveRoles returns the names of the realm roles and, by public
// clientId, the client roles userID holds, composites expanded, each list
// sorted. auth puts them in the realm_access and resource_access claims; for
// the client-credentials grant it passes iam.ServiceAccountSubject(clientUUID).
// An unknown user holds no roles (no error). The slices and map are the
// caller's. With WithEffectiveRolesCache the answer may come from the cache;
// it reflects every change made through this Service that returned before
// the call.
func (s *Service) EffectiveRoles(ctx context.Context, realm iam.Realm, userID string) (realmRoles []string, clientRoles map[string][]string, err error) {
	const op = "rbac.EffectiveRoles"
	p, err := s.principal(ctx, realm, userID, false)
	if err != nil {
		return nil, nil, iam.Wrap(op, err)
	}
	realmRoles, clientRoles, err = s.cache.get(ctx, realm, p.UserID(), func(ctx context.Context) ([]string, map[string][]string, error) {
		return s.effectiveRoles(ctx, realm, p)
	})
	return realmRoles, clientRoles, iam.Wrap(op, err)
}

// effectiveRoles asks the store for the effective role names of p, sorted.
func (s *Service) effectiveRoles(ctx context.Context, realm iam.Realm, p Principal) ([]string, map[string][]string, error) {
	realmRoles, clientRoles, err := s.store.EffectiveRoleNames(ctx, realm, p)
	if err != nil {
		return nil, nil, err
	}
	if realmRoles == nil {
		realmRoles = []string{}
	}
	if clientRoles == nil {
		clientRoles = map[string][]string{}
	}
	slices.Sort(realmRoles)
	for _, names := range clientRoles {
		slices.Sort(names)
	}
	return realmRoles, clientRoles, nil
}

// SortRoles orders roles realm roles first, then client roles by clientId,
// each by name.
func SortRoles(roles []Role) {
	slices.SortFunc(roles, func(a, b Role) int {
		switch {
		case a.IsClientRole() != b.IsClientRole():
			if a.IsClientRole() {
				return 1
			}
			return -1
		case a.ClientID != b.ClientID:
			return cmp.Compare(a.ClientID, b.ClientID)
		case a.ClientUUID != b.ClientUUID:
			return cmp.Compare(a.ClientUUID, b.ClientUUID)
		}
		return cmp.Compare(a.Name, b.Name)
	})
}

// HasRole reports whether userID holds the realm role named role, directly
// or through a composite.
func (s *Service) HasRole(ctx context.Context, realm iam.Realm, userID, role string) (bool, error) {
	realmRoles, _, err := s.EffectiveRoles(ctx, realm, userID)
	if err != nil {
		return false, iam.Wrap("rbac.HasRole", err)
	}
	_, found := slices.BinarySearch(realmRoles, role)
	return found, nil
}

// AddUserRoles maps the roles with roleIDs to userID. Mapping a role already
// mapped is no error (idempotent, also under concurrent calls). An unknown
// role is CodeNotFound and nothing changes. For a service account, the client
// must be known (CodeNotFound). A role of an admin nature needs a caller who
// holds its power, and so does a userID holding admin roles (CodeForbidden;
// see escalation.go).
func (s *Service) AddUserRoles(ctx context.Context, realm iam.Realm, userID string, roleIDList ...string) error {
	const op = "rbac.AddUserRoles"
	p, err := s.principal(ctx, realm, userID, true)
	if err != nil {
		return iam.Wrap(op, err)
	}
	ids, err := roleIDs("roles", roleIDList)
	if err != nil || len(ids) == 0 {
		return iam.Wrap(op, err)
	}
	if err := s.mayChangeHolders(ctx, realm, ids, false); err != nil {
		return iam.Wrap(op, err)
	}
	if err := s.maySubject(ctx, realm, p); err != nil {
		return iam.Wrap(op, err)
	}
	return iam.Wrap(op, s.addMappings(ctx, realm, p, ids))
}

// addMappings maps ids to p, unchecked, and invalidates p's cached roles.
func (s *Service) addMappings(ctx context.Context, realm iam.Realm, p Principal, ids []string) error {
	e, err := mappingEvent(realm, p)
	if err != nil {
		return err
	}
	err = notFound(s.store.AddMappings(ctx, realm, p, ids, e), "role not found")
	s.cache.invalidateUser(realm, p.UserID())
	return err
}

// RemoveUserRoles unmaps the roles with roleIDs from userID; roles not
// mapped are ignored. A role of an admin nature needs a caller who holds its
// power, and so does a userID holding admin roles (CodeForbidden; see
// escalation.go).
func (s *Service) RemoveUserRoles(ctx context.Context, realm iam.Realm, userID string, roleIDList ...string) error {
	const op = "rbac.RemoveUserRoles"
	p, err := s.principal(ctx, realm, userID, false)
	if err != nil {
		return iam.Wrap(op, err)
	}
	ids, err := roleIDs("roles", roleIDList)
	if err != nil || len(ids) == 0 {
		return iam.Wrap(op, err)
	}
	if err := s.mayChangeHolders(ctx, realm, ids, true); err != nil {
		return iam.Wrap(op, err)
	}
	if err := s.maySubject(ctx, realm, p); err != nil {
		return iam.Wrap(op, err)
	}
	e, err := mappingEvent(realm, p)
	if err != nil {
		return iam.Wrap(op, err)
	}
	err = s.store.RemoveMappings(ctx, realm, p, ids, e)
	s.cache.invalidateUser(realm, p.UserID())
	return iam.Wrap(op, err)
}

// AssignRealmRoles maps the realm roles named roleNames to userID
// (idempotent), under AddUserRoles' rules. An unknown name is CodeNotFound
// and nothing changes. The bootstrap administrator gets iam.RoleAdmin in
// master through it (with no principal in ctx).
func (s *Service) AssignRealmRoles(ctx context.Context, realm iam.Realm, userID string, roleNames ...string) error {
	const op = "rbac.AssignRealmRoles"
	ids := make([]string, 0, len(roleNames))
	for _, name := range roleNames {
		r, err := s.GetRoleByName(ctx, realm, "", name)
		if err != nil {
			return iam.Wrap(op, err)
		}
		ids = append(ids, r.ID)
	}
	return iam.Wrap(op, s.AddUserRoles(ctx, realm, userID, ids...))
}

// DeleteUser removes every mapping and group membership of userID (the
// user.deleted consumer calls it). Idempotent.
func (s *Service) DeleteUser(ctx context.Context, realm iam.Realm, userID string) error {
	const op = "rbac.DeleteUser"
	p, err := s.principal(ctx, realm, userID, false)
	if err != nil {
		return iam.Wrap(op, err)
	}
	e, err := mappingEvent(realm, p)
	if err != nil {
		return iam.Wrap(op, err)
	}
	err = s.store.DeletePrincipal(ctx, realm, p, e)
	s.cache.invalidateUser(realm, p.UserID())
	return iam.Wrap(op, err)
}
