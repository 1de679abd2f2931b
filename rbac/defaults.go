package rbac

import (
	"context"
	"errors"
	"fmt"

	"github.com/opengate-iam/opengate/iam"
)

// EnsureRealmDefaults creates the roles every realm has, unless they exist:
// offline_access, uma_authorization, the composite default-roles-{realm}
// containing both (as Keycloak), realm-admin (administers the realm, see
// iam.Principal.Can; EnsureRealmManagementRoles makes it a composite of
// the realm-management client's realm-admin) and, in master, admin (administers every
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

// ensureRole returns the role named r.Name of realm (r.ClientUUID "") or of
// client r.ClientUUID, creating it (with composites) if it does not exist.
func (s *Service) ensureRole(ctx context.Context, realm iam.Realm, r Role, composites ...string) (Role, error) {
	got, _, err := s.ensureRoleCreated(ctx, realm, r, composites...)
	return got, err
}

// ensureRoleCreated is ensureRole, also reporting whether this call created
// the role.
func (s *Service) ensureRoleCreated(ctx context.Context, realm iam.Realm, r Role, composites ...string) (Role, bool, error) {
	got, err := s.store.GetRoleByName(ctx, realm, r.ClientUUID, r.Name)
	if !errors.Is(err, iam.ErrNotFound) {
		return got, false, err
	}
	created, err := s.CreateRole(ctx, realm, r, composites...)
	if errors.Is(err, iam.ErrConflict) { // created concurrently
		got, err := s.store.GetRoleByName(ctx, realm, r.ClientUUID, r.Name)
		return got, false, err
	}
	return created, err == nil, err
}

// EnsureRealmManagementRoles creates, unless they exist, the client roles
// of realm's realm-management client (iam.RealmManagement), whose UUID is
// clientUUID: Keycloak's fine-grained administrative roles
// (iam.Permissions), with Keycloak's composites (iam.Permission.Composites:
// realm-admin contains all the others, view-users contains query-users and
// query-groups, view-clients contains query-clients). When it creates the
// client role realm-admin, it makes the realm role realm-admin (OpenGate's
// older realm-wide administrator, created if missing) a composite of it, so
// that its holders hold every fine-grained role, in their tokens too. It
// is idempotent and safe to run concurrently; an existing role keeps the
// composites an administrator gave it. The client.created and
// client.updated consumers call it for the realm-management client.
func (s *Service) EnsureRealmManagementRoles(ctx context.Context, realm iam.Realm, clientUUID string) error {
	const op = "rbac.EnsureRealmManagementRoles"
	if err := realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	ids := make(map[iam.Permission]string)
	// Children before the composites that contain them; realm-admin last.
	for _, pass := range []bool{false, true} {
		for _, perm := range iam.Permissions() {
			if perm == iam.PermRealmAdmin || (len(perm.Composites()) > 0) != pass {
				continue
			}
			r, err := s.ensureRole(ctx, realm, realmManagementRole(clientUUID, perm), compositeIDs(ids, perm)...)
			if err != nil {
				return iam.Wrap(op, err)
			}
			ids[perm] = r.ID
		}
	}
	admin, created, err := s.ensureRoleCreated(ctx, realm, realmManagementRole(clientUUID, iam.PermRealmAdmin), compositeIDs(ids, iam.PermRealmAdmin)...)
	if err != nil || !created {
		return iam.Wrap(op, err)
	}
	legacy, err := s.ensureRole(ctx, realm, Role{Name: iam.RoleRealmAdmin, Description: "${role_realm-admin}"})
	if err != nil {
		return iam.Wrap(op, err)
	}
	return iam.Wrap(op, s.AddComposites(ctx, realm, legacy.ID, admin.ID))
}

// realmManagementRole is the client role perm of the realm-management
// client clientUUID, described as Keycloak describes it.
func realmManagementRole(clientUUID string, perm iam.Permission) Role {
	return Role{Name: string(perm), ClientUUID: clientUUID, Description: "${role_" + string(perm) + "}"}
}

// compositeIDs returns the ids, from ids, of the roles perm is a composite
// of.
func compositeIDs(ids map[iam.Permission]string, perm iam.Permission) []string {
	var out []string
	for _, c := range perm.Composites() {
		out = append(out, ids[c])
	}
	return out
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
// escalation rule: for the Service's own rules (defaults). The role is
// looked up and mapped by the store in one step (Store.AddRealmRoleMapping:
// one statement with its event in Postgres), the consumer's hot path.
func (s *Service) assignRealmRole(ctx context.Context, realm iam.Realm, userID, name string) error {
	p, err := s.principal(ctx, realm, userID, true)
	if err != nil {
		return err
	}
	e, err := mappingEvent(realm, p)
	if err != nil {
		return err
	}
	err = notFound(s.store.AddRealmRoleMapping(ctx, realm, p, name, e), fmt.Sprintf("role %q not found", name))
	s.cache.invalidateUser(realm, p.UserID())
	return err
}
