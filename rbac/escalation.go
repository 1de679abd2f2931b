package rbac

import (
	"context"
	"errors"
	"slices"

	"github.com/opengate-iam/opengate/iam"
)

// The escalation rule (Keycloak's): nobody grants, revokes, composes or
// renames a role that confers administrative power they do not hold.
//
// Administrative power comes from the realm roles iam.RoleAdmin and
// iam.RoleRealmAdmin and from the realm-management client's roles
// (iam.Permissions: view-users, manage-users, ..., realm-admin), which are
// all iam.Principal.Can and the admin guard read; a role "of an admin
// nature" is one of them or any role — realm or client — that contains one,
// transitively. Among names of power, a realm-management role is
// "realm-management/{name}" (iam.AdminRoles). Changing who holds such a role requires
// the caller to hold, in the role's realm, every admin role it contains (the
// master realm's administrators hold everything). It applies to the
// principal in ctx (iam.PrincipalFrom): the admin API always has one. A call
// without a principal is trusted code of the deployment (bootstrap, event
// consumers, the internal API behind the service token) and is not checked.
//
// What the caller holds is read from this Service (its current effective
// roles), never from the token, so a token minted before a demotion grants
// nothing.

// powerName returns the name of the administrative power r confers by
// itself (as iam.AdminRoles names it), or "" if it confers none: the realm
// roles admin and realm-admin, and the realm-management client's
// iam.Permissions.
func powerName(r Role) string {
	switch {
	case !r.IsClientRole() && iam.IsAdminRole(r.Name):
		return r.Name
	case r.IsClientRole() && iam.IsAdminClientRole(r.ClientID, r.Name):
		return iam.PermissionLabel(iam.Permission(r.Name))
	}
	return ""
}

// adminRolesIn returns the names of the admin roles among the roles with ids
// and all they contain, transitively, sorted. An id that does not exist is
// CodeNotFound, or skipped with skipMissing.
func (s *Service) adminRolesIn(ctx context.Context, realm iam.Realm, ids []string, skipMissing bool) ([]string, error) {
	seen := make(map[string]bool, len(ids))
	var names []string
	queue := make([]Role, 0, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		r, err := s.store.GetRole(ctx, realm, id)
		if skipMissing && errors.Is(err, iam.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, notFound(err, "role not found")
		}
		queue = append(queue, r)
	}
	for len(queue) > 0 {
		r := queue[0]
		queue = queue[1:]
		if name := powerName(r); name != "" {
			names = append(names, name)
		}
		if !r.Composite {
			continue
		}
		children, err := s.store.Composites(ctx, realm, r.ID)
		if err != nil {
			return nil, notFound(err, "role not found")
		}
		for _, c := range children {
			if !seen[c.ID] {
				seen[c.ID] = true
				queue = append(queue, c)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// mayChange returns nil if the principal in ctx may change who holds the
// admin roles named names in realm, and CodeForbidden naming the first it
// may not. See the escalation rule above.
func (s *Service) mayChange(ctx context.Context, realm iam.Realm, names []string) error {
	return s.holdsAll(ctx, realm, names, func(name string) error {
		return iam.Errorf(iam.CodeForbidden,
			"role %q confers administrative power: only a holder of it may grant, revoke, compose or rename it", name)
	})
}

// holdsAll returns nil if the principal in ctx holds, now, every admin role
// named names in realm (or is a master administrator, or there is no
// principal), else refused(the first name it lacks).
func (s *Service) holdsAll(ctx context.Context, realm iam.Realm, names []string, refused func(name string) error) error {
	p := iam.PrincipalFrom(ctx)
	if p == nil || len(names) == 0 {
		return nil
	}
	var held []string
	if _, err := PrincipalOf(p.Subject); err == nil && p.Realm.Validate() == nil {
		realmRoles, clientRoles, err := s.EffectiveRoles(ctx, p.Realm, p.Subject)
		if err != nil {
			return err
		}
		held = iam.AdminRoles(realmRoles, clientRoles)
	}
	if p.Realm == iam.MasterRealm && slices.Contains(held, iam.RoleAdmin) {
		return nil // master administrators hold every power
	}
	for _, name := range names {
		if p.Realm != realm || !slices.Contains(held, name) {
			return refused(name)
		}
	}
	return nil
}

// maySubject checks the rule protecting more powerful subjects (users.md,
// "Administrators cannot change those with more power"): changing the role
// mappings of subject p of realm needs a caller who holds every admin role
// p holds now, composites expanded (iam.AdminRoles of its effective
// roles), unless the caller is a master administrator or p itself. With no
// principal in ctx it reads nothing.
func (s *Service) maySubject(ctx context.Context, realm iam.Realm, p Principal) error {
	caller := iam.PrincipalFrom(ctx)
	if caller == nil || caller.Realm == realm && caller.Subject == p.UserID() {
		return nil
	}
	held, heldClients, err := s.EffectiveRoles(ctx, realm, p.UserID())
	if err != nil {
		return err
	}
	return s.holdsAll(ctx, realm, iam.AdminRoles(held, heldClients), func(name string) error {
		return iam.Errorf(iam.CodeForbidden,
			"the user holds the administrative role %q: only a holder of every administrative role of a user may change it", name)
	})
}

// mayChangeHolders checks the escalation rule for a change of who holds the
// roles with ids (a mapping, a composite edge, a role's deletion); ids that
// do not exist are CodeNotFound, or ignored with skipMissing. With no
// principal in ctx it reads nothing.
func (s *Service) mayChangeHolders(ctx context.Context, realm iam.Realm, ids []string, skipMissing bool) error {
	if iam.PrincipalFrom(ctx) == nil || len(ids) == 0 {
		return nil
	}
	names, err := s.adminRolesIn(ctx, realm, ids, skipMissing)
	if err != nil {
		return err
	}
	return s.mayChange(ctx, realm, names)
}

// mayRename checks the escalation rule for renaming r to name: the holders
// of r lose the admin roles it contains and, for a realm role renamed to an
// admin role's name or a realm-management role renamed to a permission's,
// gain that power.
func (s *Service) mayRename(ctx context.Context, realm iam.Realm, r Role, name string) error {
	if iam.PrincipalFrom(ctx) == nil {
		return nil
	}
	names, err := s.adminRolesIn(ctx, realm, []string{r.ID}, false)
	if err != nil {
		return err
	}
	renamed := r
	renamed.Name = name
	if power := powerName(renamed); power != "" {
		names = append(names, power)
	}
	return s.mayChange(ctx, realm, names)
}

// groupAdminRoles returns the names of the admin roles the groups with ids
// confer on their members: mapped to them or to a group above them,
// composites expanded. Groups that no longer exist confer nothing.
func (s *Service) groupAdminRoles(ctx context.Context, realm iam.Realm, ids ...string) ([]string, error) {
	var names []string
	for _, id := range ids {
		roles, err := s.store.EffectiveRoles(ctx, realm, Principal{Type: PrincipalGroup, ID: id})
		if err != nil {
			return nil, err
		}
		for _, r := range roles {
			if name := powerName(r); name != "" {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

// mayChangeGroupPower checks the escalation rule for a change of what the
// members of the subtree at path hold: its deletion (newParentID "") or its
// move under newParentID. The caller must hold every admin role the
// subtree's groups confer now and, for a move, those the new parent
// confers. With no principal in ctx it reads nothing.
func (s *Service) mayChangeGroupPower(ctx context.Context, realm iam.Realm, path, newParentID string) error {
	if iam.PrincipalFrom(ctx) == nil {
		return nil
	}
	subtree, err := s.store.ListGroups(ctx, realm, GroupFilter{Subtree: path})
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(subtree)+1)
	for _, g := range subtree {
		ids = append(ids, g.ID)
	}
	if newParentID != "" {
		ids = append(ids, newParentID)
	}
	names, err := s.groupAdminRoles(ctx, realm, ids...)
	if err != nil {
		return err
	}
	return s.mayChange(ctx, realm, names)
}
