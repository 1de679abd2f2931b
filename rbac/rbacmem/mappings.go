package rbacmem

import (
	"context"
	"slices"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/rbac"
)

// Mappings implements rbac.Store.
func (s *Store) Mappings(ctx context.Context, realm iam.Realm, p rbac.Principal) ([]rbac.Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	roles := []rbac.Role{}
	if d := s.realm(realm, false); d != nil {
		for id := range d.mappings[p] {
			roles = append(roles, d.out(id))
		}
	}
	rbac.SortRoles(roles)
	return roles, nil
}

// effective returns the ids of every role p holds, each once: its
// mappings, those of its groups (of a group principal: the group) and of
// the groups above them (of a client's scope: the client's own roles), and
// all they contain. The caller holds mu.
func (d *realmData) effective(p rbac.Principal) []string {
	if d == nil {
		return nil
	}
	seen := map[string]bool{}
	var ids []string
	queue := make([]string, 0, len(d.mappings[p]))
	for id := range d.mappings[p] {
		queue = append(queue, id)
	}
	if p.Type == rbac.PrincipalClient {
		for id, r := range d.roles {
			if r.ClientUUID == p.ID {
				queue = append(queue, id)
			}
		}
	} else {
		for _, g := range d.groupsOf(p) {
			for id := range d.mappings[rbac.Principal{Type: rbac.PrincipalGroup, ID: g}] {
				queue = append(queue, id)
			}
		}
	}
	for len(queue) > 0 {
		id := queue[len(queue)-1]
		queue = queue[:len(queue)-1]
		if seen[id] {
			continue
		}
		seen[id] = true
		ids = append(ids, id)
		for c := range d.children[id] {
			if !seen[c] {
				queue = append(queue, c)
			}
		}
	}
	return ids
}

// EffectiveRoles implements rbac.Store.
func (s *Store) EffectiveRoles(ctx context.Context, realm iam.Realm, p rbac.Principal) ([]rbac.Role, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.realm(realm, false)
	roles := []rbac.Role{}
	for _, id := range d.effective(p) {
		roles = append(roles, d.out(id))
	}
	rbac.SortRoles(roles)
	return roles, nil
}

// EffectiveRoleNames implements rbac.Store.
func (s *Store) EffectiveRoleNames(ctx context.Context, realm iam.Realm, p rbac.Principal) ([]string, map[string][]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.realm(realm, false)
	realmRoles, clientRoles := []string{}, map[string][]string{}
	for _, id := range d.effective(p) {
		r := d.roles[id]
		switch {
		case !r.IsClientRole():
			realmRoles = append(realmRoles, r.Name)
		case d.clients[r.ClientUUID].ClientID != "":
			c := d.clients[r.ClientUUID].ClientID
			clientRoles[c] = append(clientRoles[c], r.Name)
		}
	}
	return realmRoles, clientRoles, nil
}

// AddMappings implements rbac.Store.
func (s *Store) AddMappings(ctx context.Context, realm iam.Realm, p rbac.Principal, roleIDs []string, events ...iam.Event) error {
	s.mu.Lock()
	d := s.realm(realm, false)
	if err := d.checkRoles(roleIDs); err != nil {
		s.mu.Unlock()
		return err
	}
	if p.Type == rbac.PrincipalGroup && (d == nil || !d.hasGroup(p.ID)) {
		s.mu.Unlock()
		return iam.NotFoundf("group not found")
	}
	if p.Type == rbac.PrincipalClient && (d == nil || !d.hasClient(p.ID)) {
		s.mu.Unlock()
		return iam.NotFoundf("client not found")
	}
	if d.mappings[p] == nil {
		d.mappings[p] = map[string]bool{}
	}
	for _, id := range roleIDs {
		d.mappings[p][id] = true
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// AddRealmRoleMapping implements rbac.Store.
func (s *Store) AddRealmRoleMapping(ctx context.Context, realm iam.Realm, p rbac.Principal, name string, events ...iam.Event) error {
	if p.Type == rbac.PrincipalGroup || p.Type == rbac.PrincipalClient {
		return iam.Invalidf("principal", "a group's or a client scope's roles are mapped by id")
	}
	s.mu.Lock()
	d := s.realm(realm, false)
	id := ""
	if d != nil {
		for rid, r := range d.roles {
			if r.ClientUUID == "" && r.Name == name {
				id = rid
				break
			}
		}
	}
	if id == "" {
		s.mu.Unlock()
		return iam.NotFoundf("role not found")
	}
	if d.mappings[p] == nil {
		d.mappings[p] = map[string]bool{}
	}
	d.mappings[p][id] = true
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// RemoveMappings implements rbac.Store.
func (s *Store) RemoveMappings(ctx context.Context, realm iam.Realm, p rbac.Principal, roleIDs []string, events ...iam.Event) error {
	s.mu.Lock()
	if d := s.realm(realm, false); d != nil {
		for _, id := range roleIDs {
			delete(d.mappings[p], id)
		}
		if len(d.mappings[p]) == 0 {
			delete(d.mappings, p)
		}
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// RolePrincipals implements rbac.Store.
func (s *Store) RolePrincipals(ctx context.Context, realm iam.Realm, roleID string, types []rbac.PrincipalType, pg rbac.Page) ([]rbac.Principal, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.realm(realm, false)
	if err := d.checkRoles([]string{roleID}); err != nil {
		return nil, err
	}
	ps := []rbac.Principal{}
	for p, roles := range d.mappings {
		if roles[roleID] && (types == nil || slices.Contains(types, p.Type)) {
			ps = append(ps, p)
		}
	}
	slices.SortFunc(ps, func(a, b rbac.Principal) int {
		if a.Type != b.Type {
			if a.Type < b.Type {
				return -1
			}
			return 1
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	lo, hi := page(len(ps), pg.First, pg.Max)
	return ps[lo:hi], nil
}

// DeletePrincipal implements rbac.Store.
func (s *Store) DeletePrincipal(ctx context.Context, realm iam.Realm, p rbac.Principal, events ...iam.Event) error {
	s.mu.Lock()
	if d := s.realm(realm, false); d != nil {
		delete(d.mappings, p)
		if p.Type == rbac.PrincipalUser || p.Type == rbac.PrincipalServiceAccount {
			d.leaveAll(p.UserID())
		}
	}
	s.events.UnlockAndPublish(ctx, s.mu.Unlock, events)
	return nil
}

// hasClient reports whether the client with UUID id is known.
func (d *realmData) hasClient(id string) bool {
	_, ok := d.clients[id]
	return ok
}
