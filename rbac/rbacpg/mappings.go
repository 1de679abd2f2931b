package rbacpg

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacpg/internal/db"
)

// Mappings implements rbac.Store.
func (s *Store) Mappings(ctx context.Context, realm iam.Realm, p rbac.Principal) ([]rbac.Role, error) {
	rows, err := queries(s.db).ListMappings(ctx, db.ListMappingsParams{
		RealmName: string(realm), PrincipalType: string(p.Type), PrincipalID: p.ID,
	})
	if err != nil {
		return nil, iampg.MapError("rbacpg.Mappings", err)
	}
	return rolesFromRows(rows)
}

// groupsOf returns the parameters that select the groups whose roles p
// holds besides its own: a user's or service account's memberships
// (member), or a group principal's group (group); "" selects none.
func groupsOf(p rbac.Principal) (member, group string) {
	switch p.Type {
	case rbac.PrincipalGroup:
		return "", p.ID
	case rbac.PrincipalClient:
		return "", "" // a client's scope holds no group
	}
	return p.UserID(), ""
}

// EffectiveRoles implements rbac.Store with one recursive query.
func (s *Store) EffectiveRoles(ctx context.Context, realm iam.Realm, p rbac.Principal) ([]rbac.Role, error) {
	member, group := groupsOf(p)
	rows, err := queries(s.db).EffectiveRoles(ctx, db.EffectiveRolesParams{
		RealmName: string(realm), PrincipalType: string(p.Type), PrincipalID: p.ID, MemberID: member, GroupID: group,
	})
	if err != nil {
		return nil, iampg.MapError("rbacpg.EffectiveRoles", err)
	}
	return rolesFromRows(rows)
}

// EffectiveRoleNames implements rbac.Store with one recursive query that
// reads only names.
func (s *Store) EffectiveRoleNames(ctx context.Context, realm iam.Realm, p rbac.Principal) ([]string, map[string][]string, error) {
	member, group := groupsOf(p)
	rows, err := queries(s.db).EffectiveRoleNames(ctx, db.EffectiveRoleNamesParams{
		RealmName: string(realm), PrincipalType: string(p.Type), PrincipalID: p.ID, MemberID: member, GroupID: group,
	})
	if err != nil {
		return nil, nil, iampg.MapError("rbacpg.EffectiveRoleNames", err)
	}
	realmRoles, clientRoles := make([]string, 0, len(rows)), map[string][]string{}
	for _, r := range rows {
		switch {
		case r.ClientUuid == "":
			realmRoles = append(realmRoles, r.Name)
		case r.ClientID != "":
			clientRoles[r.ClientID] = append(clientRoles[r.ClientID], r.Name)
		}
	}
	return realmRoles, clientRoles, nil
}

// AddMappings implements rbac.Store: one INSERT, so an unknown role (a
// foreign-key violation: not found) adds nothing, and existing mappings are
// skipped (ON CONFLICT DO NOTHING), also under concurrent calls. A group's
// row (a client scope's client) is locked first (FOR KEY SHARE), so that
// its deletion waits, then deletes the mappings.
func (s *Store) AddMappings(ctx context.Context, realm iam.Realm, p rbac.Principal, roleIDs []string, events ...iam.Event) error {
	return s.tx(ctx, "rbacpg.AddMappings", events, func(q *db.Queries, _ pgx.Tx) error {
		switch p.Type {
		case rbac.PrincipalGroup:
			if _, err := q.LockGroupKey(ctx, db.LockGroupKeyParams{RealmName: string(realm), ID: p.ID}); err != nil {
				return err
			}
		case rbac.PrincipalClient:
			if _, err := q.LockClient(ctx, db.LockClientParams{RealmName: string(realm), ID: p.ID}); err != nil {
				return err
			}
		}
		return q.AddMappings(ctx, db.AddMappingsParams{
			RealmName: string(realm), PrincipalType: string(p.Type), PrincipalID: p.ID, RoleIds: roleIDs,
		})
	})
}

// AddRealmRoleMapping implements rbac.Store with one statement: the role
// looked up by name, the mapping inserted (ON CONFLICT DO NOTHING, as
// AddMappings) and the events written to the outbox only if the role
// exists. Being one statement it is atomic by itself: it needs no
// savepoint inside a caller's transaction, so within a consumer's batch it
// costs one round trip where GetRoleByName and AddMappings cost three.
func (s *Store) AddRealmRoleMapping(ctx context.Context, realm iam.Realm, p rbac.Principal, name string, events ...iam.Event) error {
	const op = "rbacpg.AddRealmRoleMapping"
	if p.Type == rbac.PrincipalGroup || p.Type == rbac.PrincipalClient {
		return &iam.Error{Code: iam.CodeInvalid, Op: op, Field: "principal", Message: "a group's or a client scope's roles are mapped by id"}
	}
	out, err := iampg.NewOutboxRows(ctx, events...)
	if err != nil {
		return iam.Wrap(op, err)
	}
	found, err := queries(s.db).AddRealmRoleMappingByName(ctx, db.AddRealmRoleMappingByNameParams{
		Channel: iampg.OutboxChannel, RealmName: string(realm), Name: name,
		PrincipalType: string(p.Type), PrincipalID: p.ID,
		EventIds: out.EventIDs, Topics: out.Topics, Realms: out.Realms, Keys: out.Keys, Payloads: out.Payloads,
	})
	if err != nil {
		return mapError(op, err)
	}
	if !found {
		return &iam.Error{Code: iam.CodeNotFound, Op: op, Message: "role not found"}
	}
	return nil
}

// RemoveMappings implements rbac.Store.
func (s *Store) RemoveMappings(ctx context.Context, realm iam.Realm, p rbac.Principal, roleIDs []string, events ...iam.Event) error {
	return s.tx(ctx, "rbacpg.RemoveMappings", events, func(q *db.Queries, _ pgx.Tx) error {
		return q.RemoveMappings(ctx, db.RemoveMappingsParams{
			RealmName: string(realm), PrincipalType: string(p.Type), PrincipalID: p.ID, RoleIds: roleIDs,
		})
	})
}

// RolePrincipals implements rbac.Store.
func (s *Store) RolePrincipals(ctx context.Context, realm iam.Realm, roleID string, types []rbac.PrincipalType, page rbac.Page) ([]rbac.Principal, error) {
	var typeNames []string // nil: every type
	for _, t := range types {
		typeNames = append(typeNames, string(t))
	}
	if types != nil && typeNames == nil {
		typeNames = []string{}
	}
	q := queries(s.db)
	if _, err := q.GetRole(ctx, db.GetRoleParams{RealmName: string(realm), ID: roleID}); err != nil {
		return nil, iampg.MapError("rbacpg.RolePrincipals", err)
	}
	rows, err := q.RolePrincipals(ctx, db.RolePrincipalsParams{
		RealmName: string(realm), RoleID: roleID, Types: typeNames, FirstRow: offset(page.First), MaxRows: limit(page.Max),
	})
	if err != nil {
		return nil, iampg.MapError("rbacpg.RolePrincipals", err)
	}
	ps := make([]rbac.Principal, len(rows))
	for i, r := range rows {
		ps[i] = rbac.Principal{Type: rbac.PrincipalType(r.PrincipalType), ID: r.PrincipalID}
	}
	return ps, nil
}

// DeletePrincipal implements rbac.Store.
func (s *Store) DeletePrincipal(ctx context.Context, realm iam.Realm, p rbac.Principal, events ...iam.Event) error {
	return s.tx(ctx, "rbacpg.DeletePrincipal", events, func(q *db.Queries, _ pgx.Tx) error {
		if err := q.DeletePrincipal(ctx, db.DeletePrincipalParams{
			RealmName: string(realm), PrincipalType: string(p.Type), PrincipalID: p.ID,
		}); err != nil || p.Type == rbac.PrincipalGroup || p.Type == rbac.PrincipalClient {
			return err
		}
		return q.DeleteMemberships(ctx, db.DeleteMembershipsParams{RealmName: string(realm), UserID: p.UserID()})
	})
}
