package rbacpg

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacpg/internal/db"
)

// CreateRole implements rbac.Store.
func (s *Store) CreateRole(ctx context.Context, r rbac.Role, composites []string, events ...iam.Event) error {
	attrs, err := attributes(r.Attributes)
	if err != nil {
		return iam.Wrap("rbacpg.CreateRole", err)
	}
	extra, err := iampg.ExtraJSON("rbacpg.CreateRole", r.Extra)
	if err != nil {
		return err
	}
	return s.tx(ctx, "rbacpg.CreateRole", events, func(q *db.Queries, _ pgx.Tx) error {
		if r.IsClientRole() {
			// Lock the client row so a concurrent DeleteClient waits for us.
			if _, err := q.LockClient(ctx, db.LockClientParams{RealmName: string(r.Realm), ID: r.ClientUUID}); err != nil {
				return err
			}
		}
		if err := q.CreateRole(ctx, db.CreateRoleParams{
			RealmName: string(r.Realm), ID: r.ID, ClientUuid: r.ClientUUID, Name: r.Name,
			Description: r.Description, Attributes: attrs, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Extra: extra,
		}); err != nil {
			return err
		}
		if len(composites) == 0 {
			return nil
		}
		return q.AddComposites(ctx, db.AddCompositesParams{RealmName: string(r.Realm), ParentID: r.ID, ChildIds: composites})
	})
}

// GetRole implements rbac.Store.
func (s *Store) GetRole(ctx context.Context, realm iam.Realm, id string) (rbac.Role, error) {
	row, err := queries(s.db).GetRole(ctx, db.GetRoleParams{RealmName: string(realm), ID: id})
	if err != nil {
		return rbac.Role{}, iampg.MapError("rbacpg.GetRole", err)
	}
	return roleFromRow(row)
}

// GetRoleByName implements rbac.Store.
func (s *Store) GetRoleByName(ctx context.Context, realm iam.Realm, clientUUID, name string) (rbac.Role, error) {
	row, err := queries(s.db).GetRoleByName(ctx, db.GetRoleByNameParams{RealmName: string(realm), ClientUuid: clientUUID, Name: name})
	if err != nil {
		return rbac.Role{}, iampg.MapError("rbacpg.GetRoleByName", err)
	}
	return roleFromRow(row)
}

// ListRoles implements rbac.Store.
func (s *Store) ListRoles(ctx context.Context, realm iam.Realm, f rbac.RoleFilter) ([]rbac.Role, error) {
	rows, err := queries(s.db).ListRoles(ctx, db.ListRolesParams{
		RealmName: string(realm), ClientUuid: f.ClientUUID, Search: f.Search,
		FirstRow: offset(f.First), MaxRows: limit(f.Max),
	})
	if err != nil {
		return nil, iampg.MapError("rbacpg.ListRoles", err)
	}
	roles := make([]rbac.Role, 0, len(rows))
	for _, row := range rows { // keep the query's order: it pages
		role, err := roleFromRow(row)
		if err != nil {
			return nil, err
		}
		roles = append(roles, role)
	}
	return roles, nil
}

// UpdateRole implements rbac.Store: the role's row is locked (SELECT ...
// FOR UPDATE) while fn runs.
func (s *Store) UpdateRole(ctx context.Context, realm iam.Realm, id string, fn func(*rbac.Role) ([]iam.Event, error)) (rbac.Role, error) {
	const op = "rbacpg.UpdateRole"
	var out rbac.Role
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		q := queries(tx)
		if err := q.LockRole(ctx, db.LockRoleParams{RealmName: string(realm), ID: id}); err != nil {
			return err
		}
		row, err := q.GetRole(ctx, db.GetRoleParams{RealmName: string(realm), ID: id})
		if err != nil {
			return err
		}
		cur, err := roleFromRow(row)
		if err != nil {
			return err
		}
		next := cur.Clone()
		events, err := fn(&next)
		if err != nil {
			return err
		}
		attrs, err := attributes(next.Attributes)
		if err != nil {
			return err
		}
		extra, err := iampg.ExtraJSON(op, next.Extra)
		if err != nil {
			return err
		}
		if _, err := q.UpdateRole(ctx, db.UpdateRoleParams{
			RealmName: string(realm), ID: id, Name: next.Name, Description: next.Description,
			Attributes: attrs, Extra: extra, UpdatedAt: next.UpdatedAt,
		}); err != nil {
			return err
		}
		row, err = q.GetRole(ctx, db.GetRoleParams{RealmName: string(realm), ID: id})
		if err != nil {
			return err
		}
		if out, err = roleFromRow(row); err != nil {
			return err
		}
		return iampg.Write(ctx, tx, events...)
	})
	if err != nil {
		return rbac.Role{}, mapError(op, err)
	}
	return out, nil
}

// DeleteRole implements rbac.Store.
func (s *Store) DeleteRole(ctx context.Context, realm iam.Realm, id string, events ...iam.Event) error {
	return s.tx(ctx, "rbacpg.DeleteRole", events, func(q *db.Queries, _ pgx.Tx) error {
		n, err := q.DeleteRole(ctx, db.DeleteRoleParams{RealmName: string(realm), ID: id})
		if err != nil {
			return err
		}
		if n == 0 {
			return iam.NotFoundf("role not found")
		}
		return nil
	})
}
