package rbac

import (
	"context"
	"errors"
	"fmt"

	"github.com/opengate-iam/opengate/iam"
)

// RoleUpdate is a partial update of a role: nil fields stay unchanged.
type RoleUpdate struct {
	Name        *string
	Description *string
	Attributes  *map[string][]string
	// Extra's fields are set over the role's Extra, one by one (the others
	// are kept, as Keycloak keeps the fields a PUT does not send).
	Extra iam.Extra
}

// protected reports whether role name of realm may be neither renamed nor
// deleted: the realm's default role, and admin in master (the bootstrap
// administrator's role).
func protected(realm iam.Realm, r Role) bool {
	if r.IsClientRole() {
		return false
	}
	return r.Name == DefaultRoleName(realm) || (realm == iam.MasterRealm && r.Name == iam.RoleAdmin)
}

// CreateRole creates r in realm — a client role when r.ClientUUID is set, a
// realm role otherwise — containing the roles with the ids composites, and
// returns it with its new id. Errors: CodeInvalid naming the field,
// CodeNotFound for an unknown client or composite, CodeConflict when the
// container already has a role of that name, CodeForbidden when a composite
// confers administrative power the caller does not hold (escalation.go).
func (s *Service) CreateRole(ctx context.Context, realm iam.Realm, r Role, composites ...string) (Role, error) {
	const op = "rbac.CreateRole"
	if err := realm.Validate(); err != nil {
		return Role{}, iam.Wrap(op, err)
	}
	if err := validateRole(r); err != nil {
		return Role{}, iam.Wrap(op, err)
	}
	r = r.Clone()
	r.Realm, r.ClientID = realm, ""
	if r.IsClientRole() {
		c, err := s.Client(ctx, realm, r.ClientUUID)
		if err != nil {
			return Role{}, iam.Wrap(op, err)
		}
		r.ClientID = c.ClientID
	}
	ids, err := roleIDs("composites", composites)
	if err != nil {
		return Role{}, iam.Wrap(op, err)
	}
	if err := s.mayChangeHolders(ctx, realm, ids, false); err != nil {
		return Role{}, iam.Wrap(op, err)
	}
	if r.Attributes == nil {
		r.Attributes = map[string][]string{}
	}
	r.ID = iam.NewID()
	r.CreatedAt = s.now().UTC()
	r.UpdatedAt = r.CreatedAt
	r.Composite = len(ids) > 0
	e, err := roleEvent(iam.TopicRoleCreated, r)
	if err != nil {
		return Role{}, iam.Wrap(op, err)
	}
	if err := s.store.CreateRole(ctx, r, ids, e); err != nil {
		return Role{}, iam.Wrap(op, duplicate(notFound(err, "composite role not found"), r))
	}
	return r, nil
}

// duplicate gives a taken role name a message naming the role.
func duplicate(err error, r Role) error {
	if iam.ErrorCode(err) != iam.CodeConflict || iam.ErrorField(err) != "name" {
		return err
	}
	if r.IsClientRole() {
		return iam.Duplicatef("name", "client %s already has a role named %q", r.ClientID, r.Name)
	}
	return iam.Duplicatef("name", "realm already has a role named %q", r.Name)
}

// GetRole returns the role with id in realm, or CodeNotFound.
func (s *Service) GetRole(ctx context.Context, realm iam.Realm, id string) (Role, error) {
	const op = "rbac.GetRole"
	if err := realm.Validate(); err != nil {
		return Role{}, iam.Wrap(op, err)
	}
	if validateID("id", id) != nil {
		return Role{}, iam.Wrap(op, iam.NotFoundf("role not found"))
	}
	r, err := s.store.GetRole(ctx, realm, id)
	return r, iam.Wrap(op, notFound(err, "role not found"))
}

// GetRoleByName returns the role named name of realm (clientUUID "") or of
// client clientUUID, or CodeNotFound.
func (s *Service) GetRoleByName(ctx context.Context, realm iam.Realm, clientUUID, name string) (Role, error) {
	const op = "rbac.GetRoleByName"
	if err := realm.Validate(); err != nil {
		return Role{}, iam.Wrap(op, err)
	}
	if validateName(name) != nil || (clientUUID != "" && validateID("client", clientUUID) != nil) {
		return Role{}, iam.Wrap(op, iam.NotFoundf("role %q not found", name))
	}
	r, err := s.store.GetRoleByName(ctx, realm, clientUUID, name)
	return r, iam.Wrap(op, notFound(err, fmt.Sprintf("role %q not found", name)))
}

// ListRoles returns the roles of realm (f.ClientUUID "") or of a client
// (CodeNotFound if rbac knows no such client), ordered by name.
func (s *Service) ListRoles(ctx context.Context, realm iam.Realm, f RoleFilter) ([]Role, error) {
	const op = "rbac.ListRoles"
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	if f.First < 0 {
		return nil, iam.Wrap(op, iam.Invalidf("first", "first must not be negative"))
	}
	if f.ClientUUID != "" {
		if _, err := s.Client(ctx, realm, f.ClientUUID); err != nil {
			return nil, iam.Wrap(op, err)
		}
	}
	roles, err := s.store.ListRoles(ctx, realm, f)
	return roles, iam.Wrap(op, err)
}

// UpdateRole applies u to the role with id and returns the result. u is
// applied to the role as stored when the change is written, so concurrent
// updates of other fields are kept. The realm's default role and master's
// admin role cannot be renamed (CodeInvalid); a name taken in the container
// is CodeConflict (Field "name"). Renaming a role of an admin nature, a
// realm role to iam.RoleAdmin or iam.RoleRealmAdmin, or a realm-management
// role to a permission's name, needs a caller who holds that power
// (CodeForbidden; escalation.go).
func (s *Service) UpdateRole(ctx context.Context, realm iam.Realm, id string, u RoleUpdate) (Role, error) {
	const op = "rbac.UpdateRole"
	cur, err := s.GetRole(ctx, realm, id)
	if err != nil {
		return Role{}, iam.Wrap(op, err)
	}
	// The escalation check reads the store, so it runs before the update,
	// on the role read above: it depends only on the role's id and
	// container, which never change.
	if u.Name != nil && *u.Name != cur.Name && !protected(realm, cur) {
		if err := s.mayRename(ctx, realm, cur, *u.Name); err != nil {
			return Role{}, iam.Wrap(op, err)
		}
	}
	renamed := false
	var wanted Role // the role as fn left it, to name it in a conflict
	r, err := s.store.UpdateRole(ctx, realm, id, func(r *Role) ([]iam.Event, error) {
		if u.Name != nil && *u.Name != r.Name {
			if protected(realm, *r) {
				return nil, iam.Invalidf("name", "role %q cannot be renamed", r.Name)
			}
			r.Name = *u.Name
			renamed = true
		}
		if u.Description != nil {
			r.Description = *u.Description
		}
		if u.Attributes != nil {
			r.Attributes = Role{Attributes: *u.Attributes}.Clone().Attributes
			if r.Attributes == nil {
				r.Attributes = map[string][]string{}
			}
		}
		if len(u.Extra) > 0 {
			r.Extra = r.Extra.Merge(u.Extra)
		}
		if err := validateRole(*r); err != nil {
			return nil, err
		}
		r.UpdatedAt = s.now().UTC()
		wanted = *r
		e, err := roleEvent(iam.TopicRoleUpdated, *r)
		if err != nil {
			return nil, err
		}
		return []iam.Event{e}, nil
	})
	if renamed { // tokens carry role names
		s.cache.invalidateRealm(realm)
	}
	if err != nil {
		return Role{}, iam.Wrap(op, duplicate(notFound(err, "role not found"), wanted))
	}
	return r, nil
}

// DeleteRole deletes the role with id and removes it from every composite
// and mapping. The realm's default role and master's admin role cannot be
// deleted (CodeInvalid); a role of an admin nature only by a caller who holds
// its power (CodeForbidden; escalation.go).
func (s *Service) DeleteRole(ctx context.Context, realm iam.Realm, id string) error {
	const op = "rbac.DeleteRole"
	r, err := s.GetRole(ctx, realm, id)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if protected(realm, r) {
		return iam.Wrap(op, iam.Invalidf("name", "role %q cannot be deleted", r.Name))
	}
	if err := s.mayChangeHolders(ctx, realm, []string{r.ID}, false); err != nil {
		return iam.Wrap(op, err)
	}
	e, err := roleEvent(iam.TopicRoleDeleted, r)
	if err != nil {
		return iam.Wrap(op, err)
	}
	err = s.store.DeleteRole(ctx, realm, id, e)
	s.cache.invalidateRealm(realm)
	return iam.Wrap(op, notFound(err, "role not found"))
}

// Composites returns the roles the role with id directly contains.
func (s *Service) Composites(ctx context.Context, realm iam.Realm, id string) ([]Role, error) {
	const op = "rbac.Composites"
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	if validateID("id", id) != nil {
		return nil, iam.Wrap(op, iam.NotFoundf("role not found"))
	}
	roles, err := s.store.Composites(ctx, realm, id)
	return roles, iam.Wrap(op, notFound(err, "role not found"))
}

// AddComposites makes the role with id contain the roles childIDs. Adding a
// role already contained is no error. A child that does not exist is
// CodeNotFound; an edge that would close a cycle is CodeInvalid (field
// "composites") naming the cycle; a child of an admin nature whose power the
// caller does not hold is CodeForbidden (escalation.go): every holder of the
// role would get it. Nothing changes on error.
func (s *Service) AddComposites(ctx context.Context, realm iam.Realm, id string, childIDs ...string) error {
	const op = "rbac.AddComposites"
	r, err := s.GetRole(ctx, realm, id)
	if err != nil {
		return iam.Wrap(op, err)
	}
	ids, err := roleIDs("composites", childIDs)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if len(ids) == 0 {
		return nil
	}
	if err := s.mayChangeHolders(ctx, realm, ids, false); err != nil {
		return iam.Wrap(op, err)
	}
	e, err := roleEvent(iam.TopicRoleUpdated, r)
	if err != nil {
		return iam.Wrap(op, err)
	}
	err = s.store.AddComposites(ctx, realm, id, ids, e)
	s.cache.invalidateRealm(realm) // whoever holds id, through any chain of composites
	return iam.Wrap(op, notFound(err, "role not found"))
}

// RemoveComposites makes the role with id stop containing childIDs; roles it
// does not contain are ignored. Removing a child of an admin nature needs a
// caller who holds its power (CodeForbidden; escalation.go).
func (s *Service) RemoveComposites(ctx context.Context, realm iam.Realm, id string, childIDs ...string) error {
	const op = "rbac.RemoveComposites"
	r, err := s.GetRole(ctx, realm, id)
	if err != nil {
		return iam.Wrap(op, err)
	}
	ids, err := roleIDs("composites", childIDs)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if len(ids) == 0 {
		return nil
	}
	if err := s.mayChangeHolders(ctx, realm, ids, true); err != nil {
		return iam.Wrap(op, err)
	}
	e, err := roleEvent(iam.TopicRoleUpdated, r)
	if err != nil {
		return iam.Wrap(op, err)
	}
	err = s.store.RemoveComposites(ctx, realm, id, ids, e)
	s.cache.invalidateRealm(realm) // whoever holds id, through any chain of composites
	return iam.Wrap(op, notFound(err, "role not found"))
}

// RoleUsers returns the ids of the users (and service accounts, as
// "service-account-{clientUUID}") the role with id is directly mapped to
// (not its groups' members, as Keycloak).
func (s *Service) RoleUsers(ctx context.Context, realm iam.Realm, id string, page Page) ([]string, error) {
	const op = "rbac.RoleUsers"
	if err := realm.Validate(); err != nil {
		return nil, iam.Wrap(op, err)
	}
	if validateID("id", id) != nil {
		return nil, iam.Wrap(op, iam.NotFoundf("role not found"))
	}
	if page.First < 0 {
		return nil, iam.Wrap(op, iam.Invalidf("first", "first must not be negative"))
	}
	ps, err := s.store.RolePrincipals(ctx, realm, id, []PrincipalType{PrincipalUser, PrincipalServiceAccount}, page)
	if err != nil {
		return nil, iam.Wrap(op, notFound(err, "role not found"))
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.UserID()
	}
	return ids, nil
}

// MaxRolesPerRequest caps the roles one call may add or remove.
const MaxRolesPerRequest = 1000

// roleIDs validates and de-duplicates role ids given by a caller, keeping
// their order. A malformed id cannot exist: it is CodeNotFound.
func roleIDs(field string, ids []string) ([]string, error) {
	if len(ids) > MaxRolesPerRequest {
		return nil, iam.Invalidf(field, "at most %d roles per request", MaxRolesPerRequest)
	}
	out := make([]string, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if validateID(field, id) != nil {
			return nil, iam.NotFoundf("role not found")
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// notFound replaces the message of a not-found error by msg: stores answer
// not-found generically, the Service says what was not found.
func notFound(err error, msg string) error {
	if err != nil && errors.Is(err, iam.ErrNotFound) {
		return iam.NotFoundf("%s", msg)
	}
	return err
}
