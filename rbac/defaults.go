package rbac

import (
	"context"
	"errors"

	"github.com/opengate-iam/opengate/iam"
)

// EnsureRealmDefaults creates the roles every realm has, unless they exist:
// offline_access, uma_authorization, the composite default-roles-{realm}
// containing both (as Keycloak), realm-admin (administers the realm, see
// iam.Principal.CanAdminister) and, in master, admin (administers every
// realm). It is idempotent and safe to run concurrently; an existing default
// role keeps the composites an administrator gave it. The realm.created and
// user.created consumers call it.
func (s *Service) EnsureRealmDefaults(ctx context.Context, realm iam.Realm) error {
	const op = "rbac.EnsureRealmDefaults"
	if err := realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	offline, err := s.ensureRole(ctx, realm, Role{Name: RoleOfflineAccess, Description: "${role_offline-access}"})
	if err != nil {
		return iam.Wrap(op, err)
	}
	uma, err := s.ensureRole(ctx, realm, Role{Name: RoleUMAAuthorization, Description: "${role_uma_authorization}"})
	if err != nil {
		return iam.Wrap(op, err)
	}
	if _, err := s.ensureRole(ctx, realm, Role{Name: DefaultRoleName(realm), Description: "${role_default-roles}"}, offline.ID, uma.ID); err != nil {
		return iam.Wrap(op, err)
	}
	if _, err := s.ensureRole(ctx, realm, Role{Name: iam.RoleRealmAdmin, Description: "${role_realm-admin}"}); err != nil {
		return iam.Wrap(op, err)
	}
	if realm == iam.MasterRealm {
		if _, err := s.ensureRole(ctx, realm, Role{Name: iam.RoleAdmin, Description: "${role_admin}"}); err != nil {
			return iam.Wrap(op, err)
		}
	}
	return nil
}

// ensureRole returns the realm role named r.Name, creating it (with
// composites) if it does not exist.
func (s *Service) ensureRole(ctx context.Context, realm iam.Realm, r Role, composites ...string) (Role, error) {
	got, err := s.store.GetRoleByName(ctx, realm, "", r.Name)
	if !errors.Is(err, iam.ErrNotFound) {
		return got, err
	}
	created, err := s.CreateRole(ctx, realm, r, composites...)
	if errors.Is(err, iam.ErrConflict) { // created concurrently
		return s.store.GetRoleByName(ctx, realm, "", r.Name)
	}
	return created, err
}

// AssignDefaultRoles maps the realm's default role to userID, creating the
// realm's defaults first if needed (the user.created consumer calls it).
// Idempotent. The escalation rule is not applied: what the default role
// contains was checked when it was composed.
func (s *Service) AssignDefaultRoles(ctx context.Context, realm iam.Realm, userID string) error {
	const op = "rbac.AssignDefaultRoles"
	err := s.assignRealmRole(ctx, realm, userID, DefaultRoleName(realm))
	if !errors.Is(err, iam.ErrNotFound) {
		return iam.Wrap(op, err)
	}
	// user.created overtook realm.created: make the defaults now.
	if err := s.EnsureRealmDefaults(ctx, realm); err != nil {
		return iam.Wrap(op, err)
	}
	return iam.Wrap(op, s.assignRealmRole(ctx, realm, userID, DefaultRoleName(realm)))
}

// assignRealmRole maps the realm role called name to userID without the
// escalation rule: for the Service's own rules (defaults, bootstrap).
func (s *Service) assignRealmRole(ctx context.Context, realm iam.Realm, userID, name string) error {
	p, err := s.principal(ctx, realm, userID, true)
	if err != nil {
		return err
	}
	r, err := s.GetRoleByName(ctx, realm, "", name)
	if err != nil {
		return err
	}
	return s.addMappings(ctx, realm, p, []string{r.ID})
}
