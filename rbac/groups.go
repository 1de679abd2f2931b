package rbac

import (
	"context"
	"errors"

	"github.com/opengate-iam/opengate/iam"
)

// GroupUpdate is a partial update of a group: nil fields stay unchanged.
type GroupUpdate struct {
	Name        *string
	Description *string
	// Attributes, when set, replaces every attribute (Keycloak's PUT).
	Attributes *map[string][]string
	// Extra's fields are set over the group's, one by one (a Keycloak PUT
	// changes what it sends and keeps the rest).
	Extra iam.Extra
}

// errGroupNotFound is Keycloak's message for a group id that names none.
func errGroupNotFound() error { return iam.NotFoundf("Could not find group by id") }

// groupNotFound gives a not-found error of a store Keycloak's message.
func groupNotFound(err error) error { return notFound(err, "Could not find group by id") }

// siblingTaken gives a taken group name a message naming the group, as
// Keycloak's 409 does.
func siblingTaken(err error, name, parentID string) error {
	if iam.ErrorCode(err) != iam.CodeConflict || iam.ErrorField(err) != "name" {
		return err
	}
	if parentID == "" {
		return iam.Duplicatef("name", "Top level group named '%s' already exists.", name)
	}
	return iam.Duplicatef("name", "Sibling group named '%s' already exists.", name)
}

// checkGroupID checks an id taken from a caller: a malformed id names no group.
func checkGroupID(id string) error {
	if validateID("id", id) != nil {
		return errGroupNotFound()
	}
	return nil
}

// CreateGroup creates g in realm — under the group g.ParentID, or at the top
// level when it is "" — and returns it with its new id and path. Errors:
// CodeInvalid naming the field, CodeNotFound for an unknown parent,
// CodeConflict (Field "name") when a sibling has its name.
func (s *Service) CreateGroup(ctx context.Context, realm iam.Realm, g Group) (Group, error) {
	const op = "rbac.CreateGroup"
	if err := realm.Validate(); err != nil {
		return Group{}, iam.Wrap(op, err)
	}
	if err := validateGroup(g); err != nil {
		return Group{}, iam.Wrap(op, err)
	}
	if g.ParentID != "" {
		if err := checkGroupID(g.ParentID); err != nil {
			return Group{}, iam.Wrap(op, err)
		}
	}
	g = g.Clone()
	g.Realm, g.Path, g.SubGroupCount = realm, "", 0
	if g.Attributes == nil {
		g.Attributes = map[string][]string{}
	}
	g.ID = iam.NewID()
	g.CreatedAt = s.now().UTC()
	g.UpdatedAt = g.CreatedAt
	created, err := s.store.CreateGroup(ctx, g, func(c Group) ([]iam.Event, error) {
		e, err := groupEvent(iam.TopicGroupCreated, c, nil)
		return []iam.Event{e}, err
	})
	if err != nil {
		return Group{}, iam.Wrap(op, siblingTaken(notFound(err, "parent group not found"), g.Name, g.ParentID))
	}
	return created, nil
}

// GetGroup returns the group with id in realm, or CodeNotFound.
func (s *Service) GetGroup(ctx context.Context, realm iam.Realm, id string) (Group, error) {
	const op = "rbac.GetGroup"
	if err := realm.Validate(); err != nil {
		return Group{}, iam.Wrap(op, err)
	}
	if err := checkGroupID(id); err != nil {
		return Group{}, iam.Wrap(op, err)
	}
	g, err := s.store.GetGroup(ctx, realm, id)
	return g, iam.Wrap(op, groupNotFound(err))
}

// GroupByPath returns the group at path ("/top/sub"; the leading and a
// trailing "/" may be left out, as Keycloak allows), or CodeNotFound.
func (s *Service) GroupByPath(ctx context.Context, realm iam.Realm, path string) (Group, error) {
	const op = "rbac.GroupByPath"
	if err := realm.Validate(); err != nil {
		return Group{}, iam.Wrap(op, err)
	}
	names := SplitGroupPath(path)
	canonical := ""
	for _, n := range names {
		if validateGroupName(n) != nil {
			names = nil
			break
		}
		canonical = GroupPath(canonical, n)
	}
	if len(names) == 0 {
		return Group{}, iam.Wrap(op, iam.NotFoundf("Group path does not exist"))
	}
	g, err := s.store.GetGroupByPath(ctx, realm, canonical)
	return g, iam.Wrap(op, notFound(err, "Group path does not exist"))
}

// ListGroups returns the groups of realm f selects, ordered by name then
// path: f.Parent selects the top level ("") or a group's subgroups (an
// unknown group is CodeNotFound), f.Member a subject's direct groups.
func (s *Service) ListGroups(ctx context.Context, realm iam.Realm, f GroupFilter) ([]Group, error) {
	const op = "rbac.ListGroups"
	if err := s.checkGroupFilter(ctx, realm, f); err != nil {
		return nil, iam.Wrap(op, err)
	}
	groups, err := s.store.ListGroups(ctx, realm, f)
	return groups, iam.Wrap(op, err)
}

// CountGroups returns how many groups of realm f selects (its paging
// ignored), under ListGroups' rules.
func (s *Service) CountGroups(ctx context.Context, realm iam.Realm, f GroupFilter) (int, error) {
	const op = "rbac.CountGroups"
	if err := s.checkGroupFilter(ctx, realm, f); err != nil {
		return 0, iam.Wrap(op, err)
	}
	n, err := s.store.CountGroups(ctx, realm, f)
	return n, iam.Wrap(op, err)
}

// checkGroupFilter validates f and checks that its parent exists.
func (s *Service) checkGroupFilter(ctx context.Context, realm iam.Realm, f GroupFilter) error {
	if err := realm.Validate(); err != nil {
		return err
	}
	if f.First < 0 {
		return iam.Invalidf("first", "first must not be negative")
	}
	if f.Member != "" {
		if _, err := PrincipalOf(f.Member); err != nil {
			return err
		}
	}
	if len(f.Attributes) > MaxAttributes {
		return iam.Invalidf("q", "at most %d attributes", MaxAttributes)
	}
	if f.Parent != nil && *f.Parent != "" {
		if _, err := s.GetGroup(ctx, realm, *f.Parent); err != nil {
			return err
		}
	}
	return nil
}

// UpdateGroup applies u to the group with id and returns the result, as the
// group is stored when the change is written (concurrent updates of other
// fields are kept). Renaming renames the paths of its subgroups. A name a
// sibling has is CodeConflict (Field "name").
func (s *Service) UpdateGroup(ctx context.Context, realm iam.Realm, id string, u GroupUpdate) (Group, error) {
	const op = "rbac.UpdateGroup"
	if err := realm.Validate(); err != nil {
		return Group{}, iam.Wrap(op, err)
	}
	if err := checkGroupID(id); err != nil {
		return Group{}, iam.Wrap(op, err)
	}
	var wanted Group // the group as fn left it, to name it in a conflict
	g, err := s.store.UpdateGroup(ctx, realm, id, func(g *Group) ([]iam.Event, error) {
		before := g.Clone()
		if u.Name != nil {
			g.Name = *u.Name
		}
		if u.Description != nil {
			g.Description = *u.Description
		}
		if u.Attributes != nil {
			g.Attributes = Role{Attributes: *u.Attributes}.Clone().Attributes
			if g.Attributes == nil {
				g.Attributes = map[string][]string{}
			}
		}
		if len(u.Extra) > 0 {
			g.Extra = g.Extra.Merge(u.Extra)
		}
		if err := validateGroup(*g); err != nil {
			return nil, err
		}
		g.UpdatedAt = s.now().UTC()
		if g.Name != before.Name {
			g.Path = GroupPath(ParentPath(before.Path), g.Name)
		}
		wanted = *g
		e, err := groupEvent(iam.TopicGroupUpdated, *g, &before)
		return []iam.Event{e}, err
	})
	if err != nil {
		return Group{}, iam.Wrap(op, siblingTaken(groupNotFound(err), wanted.Name, wanted.ParentID))
	}
	return g, nil
}

// MoveGroup makes the group with id a subgroup of parentID, or a top-level
// group when parentID is "", with its subgroups; its members and theirs
// then hold the roles of the groups above its new place instead of its old
// one. Moving a group where it is changes nothing. Errors: CodeNotFound for
// an unknown group or parent, CodeInvalid (Field "parentId") for a move
// under itself or one of its subgroups, CodeConflict (Field "name") when a
// new sibling has its name, CodeForbidden when the groups above its old or
// new place confer administrative power the caller does not hold
// (escalation.go).
func (s *Service) MoveGroup(ctx context.Context, realm iam.Realm, id, parentID string) (Group, error) {
	const op = "rbac.MoveGroup"
	g, err := s.GetGroup(ctx, realm, id)
	if err != nil {
		return Group{}, iam.Wrap(op, err)
	}
	if parentID != "" {
		if err := checkGroupID(parentID); err != nil {
			return Group{}, iam.Wrap(op, notFound(err, "parent group not found"))
		}
	}
	if g.ParentID == parentID {
		return g, nil
	}
	if err := s.mayChangeGroupPower(ctx, realm, g.Path, parentID); err != nil {
		return Group{}, iam.Wrap(op, err)
	}
	moved, err := s.store.MoveGroup(ctx, realm, id, parentID, func(before, after Group) ([]iam.Event, error) {
		e, err := groupEvent(iam.TopicGroupMoved, after, &before)
		return []iam.Event{e}, err
	})
	s.cache.invalidateRealm(realm) // the members of the whole subtree
	if err != nil {
		if errors.Is(err, iam.ErrNotFound) {
			return Group{}, iam.Wrap(op, iam.NotFoundf("Could not find group by id"))
		}
		return Group{}, iam.Wrap(op, siblingTaken(err, g.Name, parentID))
	}
	return moved, nil
}

// DeleteGroup deletes the group with id and its subgroups, with their
// memberships and role mappings: their members stop holding their roles.
// CodeNotFound for an unknown group; CodeForbidden when the groups confer
// administrative power the caller does not hold (escalation.go).
func (s *Service) DeleteGroup(ctx context.Context, realm iam.Realm, id string) error {
	const op = "rbac.DeleteGroup"
	g, err := s.GetGroup(ctx, realm, id)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if err := s.mayChangeGroupPower(ctx, realm, g.Path, ""); err != nil {
		return iam.Wrap(op, err)
	}
	err = s.store.DeleteGroup(ctx, realm, id, func(deleted []Group) ([]iam.Event, error) {
		events := make([]iam.Event, 0, len(deleted))
		for _, d := range deleted {
			e, err := groupEvent(iam.TopicGroupDeleted, d, nil)
			if err != nil {
				return nil, err
			}
			events = append(events, e)
		}
		return events, nil
	})
	s.cache.invalidateRealm(realm) // the members of the whole subtree
	return iam.Wrap(op, groupNotFound(err))
}
