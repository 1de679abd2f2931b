package rbacpg

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/rbac/rbacpg/internal/db"
)

// Composites implements rbac.Store.
func (s *Store) Composites(ctx context.Context, realm iam.Realm, parentID string) ([]rbac.Role, error) {
	q := queries(s.db)
	if _, err := q.GetRole(ctx, db.GetRoleParams{RealmName: string(realm), ID: parentID}); err != nil {
		return nil, iampg.MapError("rbacpg.Composites", err)
	}
	rows, err := q.ListComposites(ctx, db.ListCompositesParams{RealmName: string(realm), ParentID: parentID})
	if err != nil {
		return nil, iampg.MapError("rbacpg.Composites", err)
	}
	return rolesFromRows(rows)
}

// AddComposites implements rbac.Store. Composite changes of a realm are
// serialized by a transaction-scoped advisory lock, so the cycle check
// sees every committed edge and no concurrent one.
func (s *Store) AddComposites(ctx context.Context, realm iam.Realm, parentID string, childIDs []string, events ...iam.Event) error {
	return s.tx(ctx, "rbacpg.AddComposites", events, func(q *db.Queries, _ pgx.Tx) error {
		if err := q.LockRealmComposites(ctx, string(realm)); err != nil {
			return err
		}
		ids := append([]string{parentID}, childIDs...)
		n, err := q.CountRoles(ctx, db.CountRolesParams{RealmName: string(realm), Ids: ids})
		if err != nil {
			return err
		}
		if int(n) != len(uniq(ids)) {
			return iam.NotFoundf("role not found")
		}
		if err := s.checkCycle(ctx, q, realm, parentID, childIDs); err != nil {
			return err
		}
		return q.AddComposites(ctx, db.AddCompositesParams{RealmName: string(realm), ParentID: parentID, ChildIds: childIDs})
	})
}

// checkCycle fails with rbac.CycleError if parent→children would close a
// cycle. It reads every edge below the children in one query.
func (s *Store) checkCycle(ctx context.Context, q *db.Queries, realm iam.Realm, parentID string, childIDs []string) error {
	edges, err := q.ReachableEdges(ctx, db.ReachableEdgesParams{RealmName: string(realm), Ids: childIDs})
	if err != nil {
		return err
	}
	next := map[string][]string{}
	for _, e := range edges {
		next[e.ParentID] = append(next[e.ParentID], e.ChildID)
	}
	cycle := rbac.CyclePath(parentID, childIDs, func(id string) []string { return next[id] })
	if cycle == nil {
		return nil
	}
	rows, err := q.GetRoles(ctx, db.GetRolesParams{RealmName: string(realm), Ids: cycle})
	if err != nil {
		return err
	}
	label := map[string]string{}
	for _, r := range rows {
		role, err := roleFromRow(r)
		if err != nil {
			return err
		}
		label[role.ID] = role.Label()
	}
	labels := make([]string, len(cycle))
	for i, id := range cycle {
		labels[i] = label[id]
	}
	return rbac.CycleError(labels)
}

// uniq returns ids without repetitions.
func uniq(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// RemoveComposites implements rbac.Store.
func (s *Store) RemoveComposites(ctx context.Context, realm iam.Realm, parentID string, childIDs []string, events ...iam.Event) error {
	return s.tx(ctx, "rbacpg.RemoveComposites", events, func(q *db.Queries, _ pgx.Tx) error {
		if _, err := q.GetRole(ctx, db.GetRoleParams{RealmName: string(realm), ID: parentID}); err != nil {
			return err
		}
		return q.RemoveComposites(ctx, db.RemoveCompositesParams{RealmName: string(realm), ParentID: parentID, ChildIds: childIDs})
	})
}
