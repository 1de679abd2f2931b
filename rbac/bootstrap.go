package rbac

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// GrantBootstrapAdmin maps master's iam.RoleAdmin to userID, the bootstrap
// administrator, while no other subject is mapped to it, and reports whether
// userID holds the mapping afterwards. Once anyone else administers master,
// a user who merely takes the bootstrap administrator's username (after a
// rename or a deletion, through the admin API or a partial import) gets
// nothing: it returns false and changes nothing. It creates master's
// default roles if needed and is idempotent. The all-in-one binary calls it
// at every start; the user.created consumer calls it for the username named
// by WithBootstrapAdmin. With a principal in ctx, the escalation rule
// applies as for AddUserRoles.
func (s *Service) GrantBootstrapAdmin(ctx context.Context, userID string) (bool, error) {
	const op = "rbac.GrantBootstrapAdmin"
	if err := s.EnsureRealmDefaults(ctx, iam.MasterRealm); err != nil {
		return false, iam.Wrap(op, err)
	}
	p, err := s.principal(ctx, iam.MasterRealm, userID, true)
	if err != nil {
		return false, iam.Wrap(op, err)
	}
	admin, err := s.GetRoleByName(ctx, iam.MasterRealm, "", iam.RoleAdmin)
	if err != nil {
		return false, iam.Wrap(op, err)
	}
	// Two holders are enough to know whether someone else is one.
	// A group holding the role counts as someone else.
	holders, err := s.store.RolePrincipals(ctx, iam.MasterRealm, admin.ID, nil, Page{Max: 2})
	if err != nil {
		return false, iam.Wrap(op, err)
	}
	for _, h := range holders {
		if h != p {
			return false, nil
		}
	}
	if len(holders) == 1 {
		return true, nil // already granted
	}
	if err := s.mayChangeHolders(ctx, iam.MasterRealm, []string{admin.ID}, false); err != nil {
		return false, iam.Wrap(op, err)
	}
	if err := s.addMappings(ctx, iam.MasterRealm, p, []string{admin.ID}); err != nil {
		return false, iam.Wrap(op, err)
	}
	return true, nil
}
