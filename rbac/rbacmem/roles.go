package rbacmem

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// nameTaken reports whether another role of r's container is named r.Name.
func (d *realmData) nameTaken(r rbac.Role) bool {
	for id, o := range d.roles {
		if id != r.ID && o.ClientUUID == r.ClientUUID && o.Name == r.Name {
			return true
		}
	}
	return false
}

func errNameTaken() error {
	return iam.Duplicatef("name", "a role with this name already exists")
}

// CreateRole implements rbac.Store.
func (s *Store) CreateRole(ctx context.Context, r rbac.Role, composites []string, events ...iam.Event) error {
	s.mu.Lock()
	d := s.realm(r.Realm, true)
	if r.IsClientRole() {
		if _, ok := d.clients[r.ClientUUID]; !ok {
			s.mu.Unlock()
			return iam.NotFoundf("client not found")
		}
	}
	if _, ok := d.roles[r.ID]; ok {
		s.mu.Unlock()
		return iam.Duplicatef("id", "a role with this id already exists")
	}
	if d.nameTaken(r) {
		s.mu.Unlock()
		return errNameTaken()
	}
	for _, c := range composites {
		if _, ok := d.roles[c]; !ok {
			s.mu.Unlock()
			return iam.NotFoundf("role not found")
		}
	}
	r = r.Clone()
	r.ClientID, r.Composite = "", false
	d.roles[r.ID] = r
	if len(composites) > 0 {
		d.children[r.ID] = map[string]bool{}
		for _, c := range composites {
			d.children[r.ID][c] = true
		}
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// GetRole implements rbac.Store.
func (s *Store) GetRole(ctx context.Context, realm iam.Realm, id string) (rbac.Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if d := s.realm(realm, false); d != nil {
		if _, ok := d.roles[id]; ok {
			return d.out(id), nil
		}
	}
	return rbac.Role{}, iam.NotFoundf("role not found")
}

// GetRoleByName implements rbac.Store.
func (s *Store) GetRoleByName(ctx context.Context, realm iam.Realm, clientUUID, name string) (rbac.Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if d := s.realm(realm, false); d != nil {
		for id, r := range d.roles {
			if r.ClientUUID == clientUUID && r.Name == name {
				return d.out(id), nil
			}
		}
	}
	return rbac.Role{}, iam.NotFoundf("role not found")
}

// ListRoles implements rbac.Store.
func (s *Store) ListRoles(ctx context.Context, realm iam.Realm, f rbac.RoleFilter) ([]rbac.Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.realm(realm, false)
	if d == nil {
		return []rbac.Role{}, nil
	}
	roles := []rbac.Role{}
	for id, r := range d.roles {
		if r.ClientUUID == f.ClientUUID && matches(r.Name, f.Search) {
			roles = append(roles, d.out(id))
		}
	}
	rbac.SortRoles(roles)
	lo, hi := page(len(roles), f.First, f.Max)
	return roles[lo:hi], nil
}

// UpdateRole implements rbac.Store: fn runs under the store's write lock.
func (s *Store) UpdateRole(ctx context.Context, realm iam.Realm, id string, fn func(*rbac.Role) ([]iam.Event, error)) (rbac.Role, error) {
	s.mu.Lock()
	d := s.realm(realm, false)
	if d == nil {
		s.mu.Unlock()
		return rbac.Role{}, iam.NotFoundf("role not found")
	}
	old, ok := d.roles[id]
	if !ok {
		s.mu.Unlock()
		return rbac.Role{}, iam.NotFoundf("role not found")
	}
	r := d.out(id)
	events, err := fn(&r)
	if err != nil {
		s.mu.Unlock()
		return rbac.Role{}, err
	}
	next := old.Clone()
	next.Name, next.Description, next.UpdatedAt = r.Name, r.Description, r.UpdatedAt
	next.Attributes, next.Extra = r.Clone().Attributes, r.Extra.Clone()
	if d.nameTaken(next) {
		s.mu.Unlock()
		return rbac.Role{}, errNameTaken()
	}
	d.roles[id] = next
	out := d.out(id)
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return out, nil
}

// DeleteRole implements rbac.Store.
func (s *Store) DeleteRole(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error {
	s.mu.Lock()
	d := s.realm(realm, false)
	if d == nil || !d.deleteRole(id) {
		s.mu.Unlock()
		return iam.NotFoundf("role not found")
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// deleteRole removes role id, its edges and mappings; false if it did not
// exist. The caller holds mu for writing.
func (d *realmData) deleteRole(id string) bool {
	if _, ok := d.roles[id]; !ok {
		return false
	}
	delete(d.roles, id)
	delete(d.children, id)
	for parent, children := range d.children {
		delete(children, id)
		if len(children) == 0 {
			delete(d.children, parent)
		}
	}
	for p, roles := range d.mappings {
		delete(roles, id)
		if len(roles) == 0 {
			delete(d.mappings, p)
		}
	}
	return true
}

// Composites implements rbac.Store.
func (s *Store) Composites(ctx context.Context, realm iam.Realm, parentID string) ([]rbac.Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.realm(realm, false)
	if d == nil {
		return nil, iam.NotFoundf("role not found")
	}
	if _, ok := d.roles[parentID]; !ok {
		return nil, iam.NotFoundf("role not found")
	}
	roles := []rbac.Role{}
	for _, c := range sortedKeys(d.children[parentID]) {
		roles = append(roles, d.out(c))
	}
	rbac.SortRoles(roles)
	return roles, nil
}

// AddComposites implements rbac.Store.
func (s *Store) AddComposites(ctx context.Context, realm iam.Realm, parentID string, childIDs []string, events ...iam.Event) error {
	s.mu.Lock()
	d := s.realm(realm, false)
	if err := d.checkRoles(append([]string{parentID}, childIDs...)); err != nil {
		s.mu.Unlock()
		return err
	}
	if cycle := rbac.CyclePath(parentID, childIDs, func(id string) []string { return sortedKeys(d.children[id]) }); cycle != nil {
		labels := make([]string, len(cycle))
		for i, id := range cycle {
			labels[i] = d.out(id).Label()
		}
		s.mu.Unlock()
		return rbac.CycleError(labels)
	}
	if d.children[parentID] == nil {
		d.children[parentID] = map[string]bool{}
	}
	for _, c := range childIDs {
		d.children[parentID][c] = true
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// checkRoles returns CodeNotFound unless every id is a role of d (nil d has
// none). The caller holds mu.
func (d *realmData) checkRoles(ids []string) error {
	for _, id := range ids {
		if d == nil {
			return iam.NotFoundf("role not found")
		}
		if _, ok := d.roles[id]; !ok {
			return iam.NotFoundf("role not found")
		}
	}
	return nil
}

// RemoveComposites implements rbac.Store.
func (s *Store) RemoveComposites(ctx context.Context, realm iam.Realm, parentID string, childIDs []string, events ...iam.Event) error {
	s.mu.Lock()
	d := s.realm(realm, false)
	if err := d.checkRoles([]string{parentID}); err != nil {
		s.mu.Unlock()
		return err
	}
	for _, c := range childIDs {
		delete(d.children[parentID], c)
	}
	if len(d.children[parentID]) == 0 {
		delete(d.children, parentID)
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}
