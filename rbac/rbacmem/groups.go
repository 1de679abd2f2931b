package rbacmem

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// hasGroup reports whether group id exists. The caller holds mu.
func (d *realmData) hasGroup(id string) bool {
	_, ok := d.groups[id]
	return ok
}

// path returns the path of group id, walking up to the top. The caller
// holds mu.
func (d *realmData) path(id string) string {
	var names []string
	for id != "" {
		g := d.groups[id]
		names = append(names, g.Name)
		id = g.ParentID
	}
	slices.Reverse(names)
	return rbac.GroupPathSeparator + strings.Join(names, rbac.GroupPathSeparator)
}

// outGroup returns a copy of group id with Path and SubGroupCount filled in.
// The caller holds mu.
func (d *realmData) outGroup(id string) rbac.Group {
	g := d.groups[id].Clone()
	g.Path = d.path(id)
	g.SubGroupCount = len(d.kids[id])
	return g
}

// groupsOf returns the ids of the groups whose roles p holds: p's groups
// (for a group principal, the group) and every group above them. The caller
// holds mu.
func (d *realmData) groupsOf(p rbac.Principal) []string {
	var start []string
	switch p.Type {
	case rbac.PrincipalGroup:
		if d.hasGroup(p.ID) {
			start = []string{p.ID}
		}
	default:
		for g := range d.memberOf[p.UserID()] {
			start = append(start, g)
		}
	}
	seen := map[string]bool{}
	var out []string
	for _, id := range start {
		for ; id != "" && !seen[id]; id = d.groups[id].ParentID {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// siblingTaken reports whether a group other than id under parentID is
// named name. The caller holds mu.
func (d *realmData) siblingTaken(id, parentID, name string) bool {
	for k := range d.kids[parentID] {
		if k != id && d.groups[k].Name == name {
			return true
		}
	}
	return false
}

func errSiblingTaken() error {
	return iam.Duplicatef("name", "a group with this name already exists here")
}

// link records g as a subgroup of its parent. The caller holds mu.
func (d *realmData) link(g rbac.Group) {
	if d.kids[g.ParentID] == nil {
		d.kids[g.ParentID] = map[string]bool{}
	}
	d.kids[g.ParentID][g.ID] = true
}

// unlink removes id from its parent's subgroups. The caller holds mu.
func (d *realmData) unlink(id string) {
	parent := d.groups[id].ParentID
	delete(d.kids[parent], id)
	if len(d.kids[parent]) == 0 {
		delete(d.kids, parent)
	}
}

// subtree returns the ids of group id and of its subgroups at any depth.
// The caller holds mu.
func (d *realmData) subtree(id string) []string {
	out := []string{id}
	for i := 0; i < len(out); i++ {
		for k := range d.kids[out[i]] {
			out = append(out, k)
		}
	}
	return out
}

// join and leave change one membership. The caller holds mu.
func (d *realmData) join(groupID, userID string) {
	if d.members[groupID] == nil {
		d.members[groupID] = map[string]bool{}
	}
	d.members[groupID][userID] = true
	if d.memberOf[userID] == nil {
		d.memberOf[userID] = map[string]bool{}
	}
	d.memberOf[userID][groupID] = true
}

func (d *realmData) leave(groupID, userID string) {
	delete(d.members[groupID], userID)
	if len(d.members[groupID]) == 0 {
		delete(d.members, groupID)
	}
	delete(d.memberOf[userID], groupID)
	if len(d.memberOf[userID]) == 0 {
		delete(d.memberOf, userID)
	}
}

// leaveAll ends every membership of userID. The caller holds mu.
func (d *realmData) leaveAll(userID string) {
	for g := range d.memberOf[userID] {
		d.leave(g, userID)
	}
}

// CreateGroup implements rbac.Store.
func (s *Store) CreateGroup(ctx context.Context, g rbac.Group, fn func(rbac.Group) ([]iam.Event, error)) (rbac.Group, error) {
	s.mu.Lock()
	d := s.realm(g.Realm, true)
	if g.ParentID != "" && !d.hasGroup(g.ParentID) {
		s.mu.Unlock()
		return rbac.Group{}, iam.NotFoundf("group not found")
	}
	if d.hasGroup(g.ID) {
		s.mu.Unlock()
		return rbac.Group{}, iam.Duplicatef("id", "a group with this id already exists")
	}
	if d.siblingTaken(g.ID, g.ParentID, g.Name) {
		s.mu.Unlock()
		return rbac.Group{}, errSiblingTaken()
	}
	g = g.Clone()
	g.Path, g.SubGroupCount = "", 0
	d.groups[g.ID] = g
	d.link(g)
	out := d.outGroup(g.ID)
	events, err := fn(out.Clone())
	if err != nil {
		d.unlink(g.ID)
		delete(d.groups, g.ID)
		s.mu.Unlock()
		return rbac.Group{}, err
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return out, nil
}

// GetGroup implements rbac.Store.
func (s *Store) GetGroup(ctx context.Context, realm iam.Realm, id string) (rbac.Group, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if d := s.realm(realm, false); d != nil && d.hasGroup(id) {
		return d.outGroup(id), nil
	}
	return rbac.Group{}, iam.NotFoundf("group not found")
}

// GetGroupByPath implements rbac.Store.
func (s *Store) GetGroupByPath(ctx context.Context, realm iam.Realm, path string) (rbac.Group, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.realm(realm, false)
	names := rbac.SplitGroupPath(path)
	if d == nil || len(names) == 0 || rbac.GroupPathSeparator+strings.Join(names, rbac.GroupPathSeparator) != path {
		return rbac.Group{}, iam.NotFoundf("group not found")
	}
	parent := ""
	for _, name := range names {
		next := ""
		for k := range d.kids[parent] {
			if d.groups[k].Name == name {
				next = k
				break
			}
		}
		if next == "" {
			return rbac.Group{}, iam.NotFoundf("group not found")
		}
		parent = next
	}
	return d.outGroup(parent), nil
}

// selectGroups returns the groups f selects, ordered by name then path,
// unpaged. The caller holds mu.
func (d *realmData) selectGroups(f rbac.GroupFilter) []rbac.Group {
	if d == nil {
		return nil
	}
	var candidates []string
	switch {
	case f.Parent != nil:
		for k := range d.kids[*f.Parent] {
			candidates = append(candidates, k)
		}
	case f.Member != "":
		for k := range d.memberOf[f.Member] {
			candidates = append(candidates, k)
		}
	default:
		for k := range d.groups {
			candidates = append(candidates, k)
		}
	}
	var out []rbac.Group
	for _, id := range candidates {
		g := d.outGroup(id)
		if groupMatches(g, f, d) {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b rbac.Group) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.Path, b.Path))
	})
	return out
}

// groupMatches reports whether g passes every condition of f.
func groupMatches(g rbac.Group, f rbac.GroupFilter, d *realmData) bool {
	switch {
	case f.Parent != nil && g.ParentID != *f.Parent,
		f.Member != "" && !d.members[g.ID][f.Member],
		f.Subtree != "" && !rbac.InSubtree(g.Path, f.Subtree),
		f.Search != "" && f.Exact && g.Name != f.Search,
		f.Search != "" && !f.Exact && !matches(g.Name, f.Search):
		return false
	}
	for k, v := range f.Attributes {
		if !slices.Contains(g.Attributes[k], v) {
			return false
		}
	}
	return true
}

// ListGroups implements rbac.Store.
func (s *Store) ListGroups(ctx context.Context, realm iam.Realm, f rbac.GroupFilter) ([]rbac.Group, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	groups := s.realm(realm, false).selectGroups(f)
	lo, hi := page(len(groups), f.First, f.Max)
	return append([]rbac.Group{}, groups[lo:hi]...), nil
}

// CountGroups implements rbac.Store.
func (s *Store) CountGroups(ctx context.Context, realm iam.Realm, f rbac.GroupFilter) (int, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.realm(realm, false).selectGroups(f)), nil
}

// UpdateGroup implements rbac.Store: fn runs under the store's write lock.
func (s *Store) UpdateGroup(ctx context.Context, realm iam.Realm, id string, fn func(*rbac.Group) ([]iam.Event, error)) (rbac.Group, error) {
	s.mu.Lock()
	d := s.realm(realm, false)
	if d == nil || !d.hasGroup(id) {
		s.mu.Unlock()
		return rbac.Group{}, iam.NotFoundf("group not found")
	}
	g := d.outGroup(id)
	events, err := fn(&g)
	if err != nil {
		s.mu.Unlock()
		return rbac.Group{}, err
	}
	next := d.groups[id].Clone()
	next.Name, next.Description, next.UpdatedAt = g.Name, g.Description, g.UpdatedAt
	g = g.Clone()
	next.Attributes, next.Extra = g.Attributes, g.Extra
	if d.siblingTaken(id, next.ParentID, next.Name) {
		s.mu.Unlock()
		return rbac.Group{}, errSiblingTaken()
	}
	d.groups[id] = next
	out := d.outGroup(id)
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return out, nil
}

// MoveGroup implements rbac.Store.
func (s *Store) MoveGroup(ctx context.Context, realm iam.Realm, id, parentID string, fn func(before, after rbac.Group) ([]iam.Event, error)) (rbac.Group, error) {
	s.mu.Lock()
	d := s.realm(realm, false)
	if d == nil || !d.hasGroup(id) || (parentID != "" && !d.hasGroup(parentID)) {
		s.mu.Unlock()
		return rbac.Group{}, iam.NotFoundf("group not found")
	}
	for p := parentID; p != ""; p = d.groups[p].ParentID {
		if p == id {
			s.mu.Unlock()
			return rbac.Group{}, iam.Invalidf("parentId", "a group cannot be moved under itself or one of its subgroups")
		}
	}
	g := d.groups[id]
	if d.siblingTaken(id, parentID, g.Name) {
		s.mu.Unlock()
		return rbac.Group{}, errSiblingTaken()
	}
	before := d.outGroup(id)
	d.unlink(id)
	g.ParentID = parentID
	d.groups[id] = g
	d.link(g)
	after := d.outGroup(id)
	events, err := fn(before.Clone(), after.Clone())
	if err != nil { // undo
		d.unlink(id)
		g.ParentID = before.ParentID
		d.groups[id] = g
		d.link(g)
		s.mu.Unlock()
		return rbac.Group{}, err
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return after, nil
}

// DeleteGroup implements rbac.Store.
func (s *Store) DeleteGroup(ctx context.Context, realm iam.Realm, id string, fn func([]rbac.Group) ([]iam.Event, error)) error {
	s.mu.Lock()
	d := s.realm(realm, false)
	if d == nil || !d.hasGroup(id) {
		s.mu.Unlock()
		return iam.NotFoundf("group not found")
	}
	ids := d.subtree(id)
	deleted := make([]rbac.Group, len(ids))
	for i, g := range ids {
		deleted[i] = d.outGroup(g)
	}
	slices.SortFunc(deleted[1:], func(a, b rbac.Group) int { return cmp.Compare(a.Path, b.Path) })
	events, err := fn(deleted)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	d.unlink(id)
	for _, g := range ids {
		for u := range d.members[g] {
			d.leave(g, u)
		}
		delete(d.mappings, rbac.Principal{Type: rbac.PrincipalGroup, ID: g})
		delete(d.kids, g)
		delete(d.groups, g)
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// AddMember implements rbac.Store.
func (s *Store) AddMember(ctx context.Context, realm iam.Realm, groupID, userID string, events ...iam.Event) error {
	return s.member(ctx, realm, groupID, userID, true, events)
}

// RemoveMember implements rbac.Store.
func (s *Store) RemoveMember(ctx context.Context, realm iam.Realm, groupID, userID string, events ...iam.Event) error {
	return s.member(ctx, realm, groupID, userID, false, events)
}

// member adds or removes one membership.
func (s *Store) member(ctx context.Context, realm iam.Realm, groupID, userID string, join bool, events []iam.Event) error {
	s.mu.Lock()
	d := s.realm(realm, false)
	if d == nil || !d.hasGroup(groupID) {
		s.mu.Unlock()
		return iam.NotFoundf("group not found")
	}
	if join {
		d.join(groupID, userID)
	} else {
		d.leave(groupID, userID)
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// GroupMembers implements rbac.Store.
func (s *Store) GroupMembers(ctx context.Context, realm iam.Realm, groupID string, pg rbac.Page) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.realm(realm, false)
	if d == nil || !d.hasGroup(groupID) {
		return nil, iam.NotFoundf("group not found")
	}
	ids := sortedKeys(d.members[groupID])
	lo, hi := page(len(ids), pg.First, pg.Max)
	return ids[lo:hi], nil
}

// ImportGroups implements rbac.Store: everything is checked before
// anything changes.
func (s *Store) ImportGroups(ctx context.Context, realm iam.Realm, in rbac.GroupImport, events ...iam.Event) error {
	s.mu.Lock()
	d := s.realm(realm, true)
	if err := d.checkImport(in); err != nil {
		s.mu.Unlock()
		return err
	}
	for _, g := range in.Groups {
		g = g.Clone()
		g.Path, g.SubGroupCount = "", 0
		d.groups[g.ID] = g
		d.link(g)
	}
	for _, m := range in.Members {
		d.join(m.GroupID, m.UserID)
	}
	for gid, roles := range in.Roles {
		p := rbac.Principal{Type: rbac.PrincipalGroup, ID: gid}
		if len(roles) > 0 && d.mappings[p] == nil {
			d.mappings[p] = map[string]bool{}
		}
		for _, r := range roles {
			d.mappings[p][r] = true
		}
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// checkImport returns the error ImportGroups fails with, or nil. The caller
// holds mu.
func (d *realmData) checkImport(in rbac.GroupImport) error {
	batch := map[string]rbac.Group{}
	names := map[[2]string]bool{} // parent id, name of the batch's groups
	for _, g := range in.Groups {
		if _, taken := batch[g.ID]; taken || d.hasGroup(g.ID) {
			return iam.Duplicatef("id", "a group with this id already exists")
		}
		if _, inBatch := batch[g.ParentID]; g.ParentID != "" && !inBatch && !d.hasGroup(g.ParentID) {
			return iam.NotFoundf("group not found")
		}
		key := [2]string{g.ParentID, g.Name}
		if names[key] || d.siblingTaken(g.ID, g.ParentID, g.Name) {
			return errSiblingTaken()
		}
		names[key] = true
		batch[g.ID] = g
	}
	for _, m := range in.Members {
		if _, inBatch := batch[m.GroupID]; !inBatch && !d.hasGroup(m.GroupID) {
			return iam.NotFoundf("group not found")
		}
	}
	for gid, roles := range in.Roles {
		if _, inBatch := batch[gid]; !inBatch && !d.hasGroup(gid) {
			return iam.NotFoundf("group not found")
		}
		if err := d.checkRoles(roles); err != nil {
			return err
		}
	}
	return nil
}
