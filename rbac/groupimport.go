package rbac

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// GroupTree is a group with its subgroups, its role mappings by name and its
// members: a group of a realm export (Keycloak's GroupRepresentation with
// realmRoles, clientRoles and subGroups), with the ids of its direct
// members (which Keycloak's exports list on the users, as group paths).
type GroupTree struct {
	// Group's ID is kept on import when set (as Keycloak's import keeps
	// ids), else a new one is made; Name, Description, Attributes and
	// Extra are imported. ParentID places a tree under an existing group
	// (only at the top of ImportGroups' trees); Path, SubGroupCount and the
	// timestamps are ignored on import and filled in on export.
	Group
	// RealmRoles names the realm roles mapped to the group.
	RealmRoles []string
	// ClientRoles names the client roles mapped to the group, by the
	// client's public clientId.
	ClientRoles map[string][]string
	// Members are the ids of its direct members (user ids, or
	// "service-account-{clientUUID}").
	Members   []string
	SubGroups []GroupTree
}

// ImportGroups creates the groups of trees in realm — at the top level, or
// under the existing group a tree's ParentID names — with their subgroups,
// attributes, role mappings and members, in one transaction: all of them
// or, on any error, none. The roles and clients named must exist (the
// importer creates them first). Errors: CodeInvalid naming the field (as
// "groups[0].subGroups[1].name"), CodeConflict (Field "name") for a name a
// sibling has, in the trees or in the realm, or an id taken (Field "id"),
// CodeNotFound naming a role, client or parent that does not exist,
// CodeForbidden when a role mapped confers administrative power the caller
// does not hold (escalation.go). Returns the created groups, parents
// before their subgroups. It is the method a realm import calls; the
// admin API creates groups one by one.
func (s *Service) ImportGroups(ctx context.Context, realm iam.Realm, trees []GroupTree) ([]Group, error) {
	const op = "rbac.ImportGroups"
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	b := importBatch{svc: s, realm: realm, now: s.now().UTC(), roles: map[string][]string{}, paths: map[string]string{}}
	for i, t := range trees {
		parentPath := ""
		if t.ParentID != "" {
			parent, err := s.GetGroup(ctx, realm, t.ParentID)
			if err != nil {
				return nil, iam.Wrap(op, iam.NotFoundf("groups[%d].parentId: parent group not found", i))
			}
			parentPath = parent.Path
		}
		if err := b.add(ctx, fmt.Sprintf("groups[%d]", i), t, t.ParentID, parentPath); err != nil {
			return nil, iam.Wrap(op, err)
		}
	}
	if len(b.in.Groups) == 0 {
		return []Group{}, nil
	}
	var all []string
	for _, ids := range b.roles {
		all = append(all, ids...)
	}
	slices.Sort(all)
	if err := s.mayChangeHolders(ctx, realm, slices.Compact(all), false); err != nil {
		return nil, iam.Wrap(op, err)
	}
	if err := s.mayImportUnder(ctx, realm, trees); err != nil {
		return nil, iam.Wrap(op, err)
	}
	b.in.Roles = b.roles
	events, err := b.events()
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	err = s.store.ImportGroups(ctx, realm, b.in, events...)
	s.cache.invalidateRealm(realm)
	if err != nil {
		return nil, iam.Wrap(op, notFound(err, "a group or role of the import no longer exists"))
	}
	out := make([]Group, len(b.in.Groups))
	for i, g := range b.in.Groups {
		out[i] = g.Clone()
		out[i].Path = b.paths[g.ID]
	}
	return out, nil
}

// mayImportUnder checks the escalation rule for the members imported under
// existing groups: they get what those groups confer.
func (s *Service) mayImportUnder(ctx context.Context, realm iam.Realm, trees []GroupTree) error {
	if iam.PrincipalFrom(ctx) == nil {
		return nil
	}
	var parents []string
	for _, t := range trees {
		if t.ParentID != "" {
			parents = append(parents, t.ParentID)
		}
	}
	names, err := s.groupAdminRoles(ctx, realm, parents...)
	if err != nil {
		return err
	}
	return s.mayChange(ctx, realm, names)
}

// importBatch collects the store's GroupImport from trees.
type importBatch struct {
	svc   *Service
	realm iam.Realm
	now   time.Time
	in    GroupImport
	roles map[string][]string // group id → role ids
	paths map[string]string   // group id → path
}

// add validates tree t (named field in errors) and adds it, under parentID
// at parentPath, with its subgroups.
func (b *importBatch) add(ctx context.Context, field string, t GroupTree, parentID, parentPath string) error {
	g := t.Group.Clone()
	if err := validateGroup(g); err != nil {
		return fieldError(field, err)
	}
	if g.ID == "" {
		g.ID = iam.NewID()
	} else if err := validateID("id", g.ID); err != nil {
		return fieldError(field, err)
	}
	g.Realm, g.ParentID, g.Path, g.SubGroupCount = b.realm, parentID, "", 0
	g.CreatedAt, g.UpdatedAt = b.now, b.now
	if g.Attributes == nil {
		g.Attributes = map[string][]string{}
	}
	b.in.Groups = append(b.in.Groups, g)
	path := GroupPath(parentPath, g.Name)
	b.paths[g.ID] = path
	ids, err := b.roleIDs(ctx, t)
	if err != nil {
		return fieldError(field, err)
	}
	if len(ids) > 0 {
		b.roles[g.ID] = ids
	}
	for i, m := range t.Members {
		p, err := PrincipalOf(m)
		if err != nil {
			return fieldError(fmt.Sprintf("%s.members[%d]", field, i), err)
		}
		b.in.Members = append(b.in.Members, Membership{GroupID: g.ID, UserID: p.UserID()})
	}
	for i, sub := range t.SubGroups {
		if err := b.add(ctx, fmt.Sprintf("%s.subGroups[%d]", field, i), sub, g.ID, path); err != nil {
			return err
		}
	}
	return nil
}

// roleIDs resolves the roles t names.
func (b *importBatch) roleIDs(ctx context.Context, t GroupTree) ([]string, error) {
	var ids []string
	for _, name := range t.RealmRoles {
		r, err := b.svc.GetRoleByName(ctx, b.realm, "", name)
		if err != nil {
			return nil, fieldError("realmRoles", err)
		}
		ids = append(ids, r.ID)
	}
	for _, clientID := range slices.Sorted(maps.Keys(t.ClientRoles)) {
		c, err := b.svc.FindClient(ctx, b.realm, clientID)
		if err != nil {
			return nil, fieldError("clientRoles", err)
		}
		for _, name := range t.ClientRoles[clientID] {
			r, err := b.svc.GetRoleByName(ctx, b.realm, c.ID, name)
			if err != nil {
				return nil, fieldError("clientRoles", iam.NotFoundf("client %q has no role %q", clientID, name))
			}
			ids = append(ids, r.ID)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// events returns the events of the import: group.created for each group,
// group.role_mapping.changed for each group with roles,
// group.member.added for each membership.
func (b *importBatch) events() ([]iam.Event, error) {
	byID := map[string]Group{}
	var events []iam.Event
	for _, g := range b.in.Groups {
		g.Path = b.paths[g.ID]
		byID[g.ID] = g
		e, err := groupEvent(iam.TopicGroupCreated, g, nil)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
		if len(b.roles[g.ID]) > 0 {
			if e, err = groupMappingEvent(g); err != nil {
				return nil, err
			}
			events = append(events, e)
		}
	}
	for _, m := range b.in.Members {
		e, err := memberEvent(iam.TopicGroupMemberAdded, byID[m.GroupID], m.UserID)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, nil
}

// fieldError prefixes the field (and the message) of a validation or
// not-found error with field, keeping its code.
func fieldError(field string, err error) error {
	var e *iam.Error
	if !errors.As(err, &e) || (e.Code != iam.CodeInvalid && e.Code != iam.CodeNotFound && e.Code != iam.CodeConflict) {
		return err
	}
	f, msg := field, e.Message
	if e.Field != "" {
		f = field + "." + e.Field
		msg = strings.TrimPrefix(msg, e.Field+": ")
	}
	return &iam.Error{Code: e.Code, Field: f, Message: f + ": " + msg}
}

// ExportGroups returns every group of realm as trees — top-level groups by
// name, each with its subgroups by name — with the roles mapped to each by
// name (client roles by clientId) and the ids of its direct members: what a
// realm export holds. It reads the groups once and each group's mappings
// and members, not in one snapshot: a change made meanwhile may or may not
// show.
func (s *Service) ExportGroups(ctx context.Context, realm iam.Realm) ([]GroupTree, error) {
	const op = "rbac.ExportGroups"
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	groups, err := s.store.ListGroups(ctx, realm, GroupFilter{})
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	trees := make(map[string]*GroupTree, len(groups))
	for _, g := range groups {
		t := &GroupTree{Group: g, RealmRoles: []string{}, ClientRoles: map[string][]string{}, Members: []string{}}
		roles, err := s.store.Mappings(ctx, realm, Principal{Type: PrincipalGroup, ID: g.ID})
		if err != nil {
			return nil, iam.Wrap(op, err)
		}
		for _, r := range roles {
			if !r.IsClientRole() {
				t.RealmRoles = append(t.RealmRoles, r.Name)
				continue
			}
			c := cmp.Or(r.ClientID, r.ClientUUID)
			t.ClientRoles[c] = append(t.ClientRoles[c], r.Name)
		}
		members, err := s.store.GroupMembers(ctx, realm, g.ID, Page{})
		if err != nil && !errors.Is(err, iam.ErrNotFound) { // deleted meanwhile
			return nil, iam.Wrap(op, err)
		}
		t.Members = append(t.Members, members...)
		trees[g.ID] = t
	}
	// groups is ordered by name: children are appended in name order.
	var top []string
	children := map[string][]string{}
	for _, g := range groups {
		if _, ok := trees[g.ParentID]; g.ParentID == "" || !ok {
			top = append(top, g.ID)
			continue
		}
		children[g.ParentID] = append(children[g.ParentID], g.ID)
	}
	var build func(id string) GroupTree
	build = func(id string) GroupTree {
		t := *trees[id]
		t.SubGroups = make([]GroupTree, 0, len(children[id]))
		for _, c := range children[id] {
			t.SubGroups = append(t.SubGroups, build(c))
		}
		return t
	}
	out := make([]GroupTree, 0, len(top))
	for _, id := range top {
		out = append(out, build(id))
	}
	return out, nil
}
