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
// iam.RoleRealmAdmin (iam.Principal.CanAdminister reads nothing else); a
// role "of an admin nature" is one of them or any role — realm or client —
// that contains one, transitively. Changing who holds such a role requires
// the caller to hold, in the role's realm, every admin role it contains (the
// master realm's administrators hold everything). It applies to the
// principal in ctx (iam.PrincipalFrom): the admin API always has one. A call
// without a principal is trusted code of the deployment (bootstrap, event
// consumers, the internal API behind the service token) and is not checked.
//
// What the caller holds is read from this Service (its current effective
// roles), never from the token, so a token minted before a demotion grants
// nothing.

// isAdminRole reports whether r is one of the roles that confer
// administrative power by themselves.
func isAdminRole(r Role) bool {
	return !r.IsClientRole() && isAdminName(r.Name)
}

// isAdminName reports whether a realm role called name confers
// administrative power.
func isAdminName(name string) bool {
	return name == iam.RoleAdmin || name == iam.RoleRealmAdmin
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
		if isAdminRole(r) {
			names = append(names, r.Name)
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
	p := iam.PrincipalFrom(ctx)
	if p == nil || len(names) == 0 {
		return nil
	}
	var held []string
	if _, err := PrincipalOf(p.Subject); err == nil && p.Realm.Validate() == nil {
		if held, _, err = s.EffectiveRoles(ctx, p.Realm, p.Subject); err != nil {
			return err
		}
	}
	if p.Realm == iam.MasterRealm && slices.Contains(held, iam.RoleAdmin) {
		return nil // master administrators hold every power
	}
	for _, name := range names {
		if p.Realm != realm || !slices.Contains(held, name) {
			return iam.Errorf(iam.CodeForbidden,
				"role %q confers administrative power: only a holder of it may grant, revoke, compose or rename it", name)
		}
	}
	return nil
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
// admin role's name, gain that power.
func (s *Service) mayRename(ctx context.Context, realm iam.Realm, r Role, name string) error {
	if iam.PrincipalFrom(ctx) == nil {
		return nil
	}
	names, err := s.adminRolesIn(ctx, realm, []string{r.ID}, false)
	if err != nil {
		return err
	}
	if !r.IsClientRole() && isAdminName(name) {
		names = append(names, name)
	}
	return s.mayChange(ctx, realm, names)
}
