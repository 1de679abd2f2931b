package rbac

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// groupPrincipal returns the principal of the group groupID of realm, which
// must exist (CodeNotFound).
func (s *Service) groupPrincipal(ctx context.Context, realm iam.Realm, groupID string) (Group, Principal, error) {
	g, err := s.GetGroup(ctx, realm, groupID)
	if err != nil {
		return Group{}, Principal{}, err
	}
	return g, Principal{Type: PrincipalGroup, ID: g.ID}, nil
}

// GroupRoles returns the roles mapped directly to the group groupID, realm
// roles first, then client roles, each by name. CodeNotFound for an unknown
// group.
func (s *Service) GroupRoles(ctx context.Context, realm iam.Realm, groupID string) ([]Role, error) {
	const op = "rbac.GroupRoles"
	_, p, err := s.groupPrincipal(ctx, realm, groupID)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	roles, err := s.store.Mappings(ctx, realm, p)
	return roles, iam.Wrap(op, err)
}

// GroupCompositeRoles returns every role the members of the group groupID
// hold through it: the roles mapped to it and to every group above it, and
// all they contain, transitively (Keycloak's effective role mappings of a
// group), sorted as GroupRoles. CodeNotFound for an unknown group.
func (s *Service) GroupCompositeRoles(ctx context.Context, realm iam.Realm, groupID string) ([]Role, error) {
	const op = "rbac.GroupCompositeRoles"
	_, p, err := s.groupPrincipal(ctx, realm, groupID)
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

// AddGroupRoles maps the roles with roleIDs to the group groupID: its
// members and its subgroups' members hold them. Mapping a role already
// mapped is no error. An unknown group or role is CodeNotFound and nothing
// changes; a role of an admin nature needs a caller who holds its power
// (CodeForbidden; escalation.go).
func (s *Service) AddGroupRoles(ctx context.Context, realm iam.Realm, groupID string, roleIDList ...string) error {
	const op = "rbac.AddGroupRoles"
	return iam.Wrap(op, s.changeGroupRoles(ctx, realm, groupID, roleIDList, true))
}

// RemoveGroupRoles unmaps the roles with roleIDs from the group groupID;
// roles not mapped are ignored. The escalation rule is AddGroupRoles'.
func (s *Service) RemoveGroupRoles(ctx context.Context, realm iam.Realm, groupID string, roleIDList ...string) error {
	const op = "rbac.RemoveGroupRoles"
	return iam.Wrap(op, s.changeGroupRoles(ctx, realm, groupID, roleIDList, false))
}

// changeGroupRoles adds or removes the mappings of ids to groupID.
func (s *Service) changeGroupRoles(ctx context.Context, realm iam.Realm, groupID string, roleIDList []string, add bool) error {
	g, p, err := s.groupPrincipal(ctx, realm, groupID)
	if err != nil {
		return err
	}
	ids, err := roleIDs("roles", roleIDList)
	if err != nil || len(ids) == 0 {
		return err
	}
	if err := s.mayChangeHolders(ctx, realm, ids, !add); err != nil {
		return err
	}
	e, err := groupMappingEvent(g)
	if err != nil {
		return err
	}
	if add {
		err = s.store.AddMappings(ctx, realm, p, ids, e)
	} else {
		err = s.store.RemoveMappings(ctx, realm, p, ids, e)
	}
	s.cache.invalidateRealm(realm) // every member of the group and of its subgroups
	if err != nil && add {
		// The group was found above: a role is missing, or the group was
		// deleted meanwhile.
		return notFound(err, "role or group not found")
	}
	return err
}
