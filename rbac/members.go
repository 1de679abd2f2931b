package rbac

import (
	"context"
	"slices"

	"github.com/opengate-iam/opengate/iam"
)

// JoinGroup makes userID (a user id, or "service-account-{clientUUID}" of a
// client rbac knows) a direct member of the group groupID: it then holds
// the roles of the group and of every group above it. Joining a group
// again is no error (idempotent, also under concurrent calls). rbac does
// not check that a user exists. Errors: CodeNotFound for an unknown group
// or client; CodeForbidden when the group confers administrative power the
// caller does not hold, or userID holds admin roles the caller does not
// (escalation.go).
func (s *Service) JoinGroup(ctx context.Context, realm iam.Realm, userID, groupID string) error {
	const op = "rbac.JoinGroup"
	return iam.Wrap(op, s.changeMembership(ctx, realm, userID, groupID, true))
}

// LeaveGroup ends userID's direct membership of the group groupID; not being
// a member is no error. The group must exist (CodeNotFound); the escalation
// rule is JoinGroup's.
func (s *Service) LeaveGroup(ctx context.Context, realm iam.Realm, userID, groupID string) error {
	const op = "rbac.LeaveGroup"
	return iam.Wrap(op, s.changeMembership(ctx, realm, userID, groupID, false))
}

// changeMembership adds (join) or removes the membership of userID in
// groupID under the rules of JoinGroup and LeaveGroup.
func (s *Service) changeMembership(ctx context.Context, realm iam.Realm, userID, groupID string, join bool) error {
	p, err := s.principal(ctx, realm, userID, join)
	if err != nil {
		return err
	}
	g, err := s.GetGroup(ctx, realm, groupID)
	if err != nil {
		return err
	}
	if iam.PrincipalFrom(ctx) != nil {
		names, err := s.groupAdminRoles(ctx, realm, g.ID)
		if err != nil {
			return err
		}
		if err := s.mayChange(ctx, realm, names); err != nil {
			return err
		}
		if err := s.maySubject(ctx, realm, p); err != nil {
			return err
		}
	}
	topic, change := iam.TopicGroupMemberRemoved, s.store.RemoveMember
	if join {
		topic, change = iam.TopicGroupMemberAdded, s.store.AddMember
	}
	e, err := memberEvent(topic, g, p.UserID())
	if err != nil {
		return err
	}
	err = change(ctx, realm, g.ID, p.UserID(), e)
	s.cache.invalidateUser(realm, p.UserID())
	return groupNotFound(err)
}

// GroupMembers returns the ids of the direct members of the group groupID
// (users, and service accounts as "service-account-{clientUUID}"), ordered
// by id and paged. CodeNotFound for an unknown group.
func (s *Service) GroupMembers(ctx context.Context, realm iam.Realm, groupID string, page Page) ([]string, error) {
	const op = "rbac.GroupMembers"
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	if err := checkGroupID(groupID); err != nil {
		return nil, iam.Wrap(op, err)
	}
	if page.First < 0 {
		return nil, iam.Wrap(op, iam.Invalidf("first", "first must not be negative"))
	}
	ids, err := s.store.GroupMembers(ctx, realm, groupID, page)
	return ids, iam.Wrap(op, groupNotFound(err))
}

// UserGroupPaths returns the paths of the groups userID belongs to
// directly, sorted: what the groups claim of a token lists (Keycloak's
// oidc-group-membership-mapper; the group's name is the last segment). A
// subject without groups, or unknown, has none (no error).
func (s *Service) UserGroupPaths(ctx context.Context, realm iam.Realm, userID string) ([]string, error) {
	const op = "rbac.UserGroupPaths"
	p, err := s.principal(ctx, realm, userID, false)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	groups, err := s.store.ListGroups(ctx, realm, GroupFilter{Member: p.UserID()})
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	paths := make([]string, len(groups))
	for i, g := range groups {
		paths[i] = g.Path
	}
	slices.Sort(paths)
	return paths, nil
}
