package rbacpg

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacpg/internal/db"
)

// groupFromRow converts a row of rbac_group_view.
func groupFromRow(r db.RbacGroupView) (rbac.Group, error) {
	const op = "rbacpg.groupFromRow"
	g := rbac.Group{
		ID:            r.ID,
		Realm:         iam.Realm(r.RealmName),
		Name:          r.Name,
		Description:   r.Description,
		ParentID:      r.ParentID,
		Path:          r.Path,
		SubGroupCount: int(r.SubGroupCount),
		CreatedAt:     r.CreatedAt,
		UpdatedAt:     r.UpdatedAt,
	}
	if err := json.Unmarshal(r.Attributes, &g.Attributes); err != nil {
		return rbac.Group{}, &iam.Error{Code: iam.CodeInternal, Op: op, Err: err}
	}
	if g.Attributes == nil {
		g.Attributes = map[string][]string{}
	}
	extra, err := iampg.ParseExtra(op, r.Extra)
	if err != nil {
		return rbac.Group{}, err
	}
	g.Extra = extra
	return g, nil
}

// groupsFromRows converts rows, keeping their order.
func groupsFromRows(rows []db.RbacGroupView) ([]rbac.Group, error) {
	groups := make([]rbac.Group, 0, len(rows))
	for _, r := range rows {
		g, err := groupFromRow(r)
		if err != nil {
			return nil, err
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// groupColumns encodes the jsonb columns of g.
func groupColumns(op string, g rbac.Group) (attrs, extra []byte, err error) {
	if attrs, err = attributes(g.Attributes); err != nil {
		return nil, nil, err
	}
	extra, err = iampg.ExtraJSON(op, g.Extra)
	return attrs, extra, err
}

// parentPath returns the path of the group parentID ("" for the top
// level); CodeNotFound if there is no such group.
func parentPath(ctx context.Context, q *db.Queries, realm iam.Realm, parentID string) (string, error) {
	if parentID == "" {
		return "", nil
	}
	p, err := q.GetGroup(ctx, db.GetGroupParams{RealmName: string(realm), ID: parentID})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", iam.NotFoundf("group not found")
	}
	return p.Path, err
}

// getGroup reads group id.
func getGroup(ctx context.Context, q *db.Queries, realm iam.Realm, id string) (rbac.Group, error) {
	row, err := q.GetGroup(ctx, db.GetGroupParams{RealmName: string(realm), ID: id})
	if err != nil {
		return rbac.Group{}, err
	}
	return groupFromRow(row)
}

// insertGroup inserts g at path.
func insertGroup(ctx context.Context, q *db.Queries, op string, g rbac.Group, path string) error {
	attrs, extra, err := groupColumns(op, g)
	if err != nil {
		return err
	}
	return q.CreateGroup(ctx, db.CreateGroupParams{
		RealmName: string(g.Realm), ID: g.ID, ParentID: g.ParentID, Name: g.Name, Path: path,
		Description: g.Description, Attributes: attrs, Extra: extra, CreatedAt: g.CreatedAt, UpdatedAt: g.UpdatedAt,
	})
}

// CreateGroup implements rbac.Store under the realm's group lock.
func (s *Store) CreateGroup(ctx context.Context, g rbac.Group, fn func(rbac.Group) ([]iam.Event, error)) (rbac.Group, error) {
	const op = "rbacpg.CreateGroup"
	var out rbac.Group
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		q := queries(tx)
		if err := q.LockRealmGroups(ctx, string(g.Realm)); err != nil {
			return err
		}
		parent, err := parentPath(ctx, q, g.Realm, g.ParentID)
		if err != nil {
			return err
		}
		if err := insertGroup(ctx, q, op, g, rbac.GroupPath(parent, g.Name)); err != nil {
			return err
		}
		if out, err = getGroup(ctx, q, g.Realm, g.ID); err != nil {
			return err
		}
		events, err := fn(out.Clone())
		if err != nil {
			return err
		}
		return iampg.Write(ctx, tx, events...)
	})
	if err != nil {
		return rbac.Group{}, mapError(op, err)
	}
	return out, nil
}

// GetGroup implements rbac.Store.
func (s *Store) GetGroup(ctx context.Context, realm iam.Realm, id string) (rbac.Group, error) {
	g, err := getGroup(ctx, queries(s.db), realm, id)
	if err != nil {
		return rbac.Group{}, iampg.MapError("rbacpg.GetGroup", err)
	}
	return g, nil
}

// GetGroupByPath implements rbac.Store.
func (s *Store) GetGroupByPath(ctx context.Context, realm iam.Realm, path string) (rbac.Group, error) {
	row, err := queries(s.db).GetGroupByPath(ctx, db.GetGroupByPathParams{RealmName: string(realm), Path: path})
	if err != nil {
		return rbac.Group{}, iampg.MapError("rbacpg.GetGroupByPath", err)
	}
	return groupFromRow(row)
}

// filterParams returns the parameters of ListGroups and CountGroups for f.
func filterParams(realm iam.Realm, f rbac.GroupFilter) (db.ListGroupsParams, error) {
	attrs := map[string][]string{}
	for k, v := range f.Attributes {
		attrs[k] = []string{v}
	}
	raw, err := json.Marshal(attrs)
	if err != nil {
		return db.ListGroupsParams{}, err
	}
	p := db.ListGroupsParams{
		RealmName: string(realm), Member: f.Member, Subtree: f.Subtree, Search: f.Search, Exact: f.Exact,
		Attributes: raw, FirstRow: offset(f.First), MaxRows: limit(f.Max),
	}
	if f.Parent != nil {
		p.ByParent, p.ParentID = true, *f.Parent
	}
	return p, nil
}

// ListGroups implements rbac.Store.
func (s *Store) ListGroups(ctx context.Context, realm iam.Realm, f rbac.GroupFilter) ([]rbac.Group, error) {
	const op = "rbacpg.ListGroups"
	p, err := filterParams(realm, f)
	if err != nil {
		return nil, iam.Wrap(op, err)
	}
	rows, err := queries(s.db).ListGroups(ctx, p)
	if err != nil {
		return nil, iampg.MapError(op, err)
	}
	return groupsFromRows(rows)
}

// CountGroups implements rbac.Store.
func (s *Store) CountGroups(ctx context.Context, realm iam.Realm, f rbac.GroupFilter) (int, error) {
	const op = "rbacpg.CountGroups"
	p, err := filterParams(realm, f)
	if err != nil {
		return 0, iam.Wrap(op, err)
	}
	n, err := queries(s.db).CountGroups(ctx, db.CountGroupsParams{
		RealmName: p.RealmName, ByParent: p.ByParent, ParentID: p.ParentID, Member: p.Member, Subtree: p.Subtree,
		Search: p.Search, Exact: p.Exact, Attributes: p.Attributes,
	})
	if err != nil {
		return 0, iampg.MapError(op, err)
	}
	return int(n), nil
}

// UpdateGroup implements rbac.Store under the realm's group lock: a rename
// rewrites the subtree's paths in the same transaction.
func (s *Store) UpdateGroup(ctx context.Context, realm iam.Realm, id string, fn func(*rbac.Group) ([]iam.Event, error)) (rbac.Group, error) {
	const op = "rbacpg.UpdateGroup"
	var out rbac.Group
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		q := queries(tx)
		if err := q.LockRealmGroups(ctx, string(realm)); err != nil {
			return err
		}
		cur, err := getGroup(ctx, q, realm, id)
		if err != nil {
			return err
		}
		next := cur.Clone()
		events, err := fn(&next)
		if err != nil {
			return err
		}
		attrs, extra, err := groupColumns(op, next)
		if err != nil {
			return err
		}
		path := rbac.GroupPath(rbac.ParentPath(cur.Path), next.Name)
		if err := q.UpdateGroup(ctx, db.UpdateGroupParams{
			RealmName: string(realm), ID: id, Name: next.Name, Path: path, Description: next.Description,
			Attributes: attrs, Extra: extra, UpdatedAt: next.UpdatedAt,
		}); err != nil {
			return err
		}
		if path != cur.Path {
			if err := q.RenameSubgroups(ctx, db.RenameSubgroupsParams{RealmName: string(realm), OldPath: cur.Path, NewPath: path}); err != nil {
				return err
			}
		}
		if out, err = getGroup(ctx, q, realm, id); err != nil {
			return err
		}
		return iampg.Write(ctx, tx, events...)
	})
	if err != nil {
		return rbac.Group{}, mapError(op, err)
	}
	return out, nil
}

// MoveGroup implements rbac.Store under the realm's group lock.
func (s *Store) MoveGroup(ctx context.Context, realm iam.Realm, id, parentID string, fn func(before, after rbac.Group) ([]iam.Event, error)) (rbac.Group, error) {
	const op = "rbacpg.MoveGroup"
	var out rbac.Group
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		q := queries(tx)
		if err := q.LockRealmGroups(ctx, string(realm)); err != nil {
			return err
		}
		before, err := getGroup(ctx, q, realm, id)
		if err != nil {
			return err
		}
		parent, err := parentPath(ctx, q, realm, parentID)
		if err != nil {
			return err
		}
		if parentID != "" && rbac.InSubtree(parent, before.Path) {
			return iam.Invalidf("parentId", "a group cannot be moved under itself or one of its subgroups")
		}
		path := rbac.GroupPath(parent, before.Name)
		if err := q.MoveGroup(ctx, db.MoveGroupParams{RealmName: string(realm), ID: id, ParentID: parentID, Path: path}); err != nil {
			return err
		}
		if err := q.RenameSubgroups(ctx, db.RenameSubgroupsParams{RealmName: string(realm), OldPath: before.Path, NewPath: path}); err != nil {
			return err
		}
		if out, err = getGroup(ctx, q, realm, id); err != nil {
			return err
		}
		events, err := fn(before.Clone(), out.Clone())
		if err != nil {
			return err
		}
		return iampg.Write(ctx, tx, events...)
	})
	if err != nil {
		return rbac.Group{}, mapError(op, err)
	}
	return out, nil
}

// DeleteGroup implements rbac.Store under the realm's group lock: the
// subtree's rows go (their memberships by cascade), then their role
// mappings.
func (s *Store) DeleteGroup(ctx context.Context, realm iam.Realm, id string, fn func([]rbac.Group) ([]iam.Event, error)) error {
	const op = "rbacpg.DeleteGroup"
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		q := queries(tx)
		if err := q.LockRealmGroups(ctx, string(realm)); err != nil {
			return err
		}
		g, err := getGroup(ctx, q, realm, id)
		if err != nil {
			return err
		}
		rows, err := q.ListSubtree(ctx, db.ListSubtreeParams{RealmName: string(realm), Path: g.Path})
		if err != nil {
			return err
		}
		deleted, err := groupsFromRows(rows)
		if err != nil {
			return err
		}
		ids := make([]string, len(deleted))
		for i, d := range deleted {
			ids[i] = d.ID
		}
		events, err := fn(deleted)
		if err != nil {
			return err
		}
		if err := q.DeleteSubtree(ctx, db.DeleteSubtreeParams{RealmName: string(realm), Path: g.Path}); err != nil {
			return err
		}
		if err := q.DeleteGroupMappings(ctx, db.DeleteGroupMappingsParams{RealmName: string(realm), Ids: ids}); err != nil {
			return err
		}
		return iampg.Write(ctx, tx, events...)
	})
	return mapError(op, err)
}

// AddMember implements rbac.Store: one INSERT; a missing group is a
// foreign-key violation (not found), an existing membership is skipped.
func (s *Store) AddMember(ctx context.Context, realm iam.Realm, groupID, userID string, events ...iam.Event) error {
	return s.tx(ctx, "rbacpg.AddMember", events, func(q *db.Queries, _ pgx.Tx) error {
		return q.AddMembers(ctx, db.AddMembersParams{RealmName: string(realm), GroupIds: []string{groupID}, UserIds: []string{userID}})
	})
}

// RemoveMember implements rbac.Store.
func (s *Store) RemoveMember(ctx context.Context, realm iam.Realm, groupID, userID string, events ...iam.Event) error {
	return s.tx(ctx, "rbacpg.RemoveMember", events, func(q *db.Queries, _ pgx.Tx) error {
		if _, err := q.LockGroupKey(ctx, db.LockGroupKeyParams{RealmName: string(realm), ID: groupID}); err != nil {
			return err
		}
		return q.RemoveMember(ctx, db.RemoveMemberParams{RealmName: string(realm), GroupID: groupID, UserID: userID})
	})
}

// GroupMembers implements rbac.Store.
func (s *Store) GroupMembers(ctx context.Context, realm iam.Realm, groupID string, page rbac.Page) ([]string, error) {
	const op = "rbacpg.GroupMembers"
	q := queries(s.db)
	if _, err := q.GetGroup(ctx, db.GetGroupParams{RealmName: string(realm), ID: groupID}); err != nil {
		return nil, iampg.MapError(op, err)
	}
	ids, err := q.GroupMembers(ctx, db.GroupMembersParams{
		RealmName: string(realm), GroupID: groupID, FirstRow: offset(page.First), MaxRows: limit(page.Max),
	})
	if err != nil {
		return nil, iampg.MapError(op, err)
	}
	if ids == nil {
		ids = []string{}
	}
	return ids, nil
}

// ImportGroups implements rbac.Store in one transaction under the realm's
// group lock: any failure rolls everything back.
func (s *Store) ImportGroups(ctx context.Context, realm iam.Realm, in rbac.GroupImport, events ...iam.Event) error {
	const op = "rbacpg.ImportGroups"
	err := iampg.WithTx(ctx, s.db, func(tx pgx.Tx) error {
		q := queries(tx)
		if err := q.LockRealmGroups(ctx, string(realm)); err != nil {
			return err
		}
		paths := map[string]string{} // the batch's groups
		for _, g := range in.Groups {
			parent, ok := paths[g.ParentID]
			if !ok {
				var err error
				if parent, err = parentPath(ctx, q, realm, g.ParentID); err != nil {
					return err
				}
			}
			g.Realm = realm
			path := rbac.GroupPath(parent, g.Name)
			if err := insertGroup(ctx, q, op, g, path); err != nil {
				return err
			}
			paths[g.ID] = path
		}
		if len(in.Members) > 0 {
			groups, users := make([]string, len(in.Members)), make([]string, len(in.Members))
			for i, m := range in.Members {
				groups[i], users[i] = m.GroupID, m.UserID
			}
			if err := q.AddMembers(ctx, db.AddMembersParams{RealmName: string(realm), GroupIds: groups, UserIds: users}); err != nil {
				return err
			}
		}
		for gid, roles := range in.Roles {
			if _, err := q.LockGroupKey(ctx, db.LockGroupKeyParams{RealmName: string(realm), ID: gid}); err != nil {
				return err
			}
			if err := q.AddMappings(ctx, db.AddMappingsParams{
				RealmName: string(realm), PrincipalType: string(rbac.PrincipalGroup), PrincipalID: gid, RoleIds: roles,
			}); err != nil {
				return err
			}
		}
		return iampg.Write(ctx, tx, events...)
	})
	return mapError(op, err)
}
