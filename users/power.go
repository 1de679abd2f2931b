package users

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// The rule protecting more powerful users (issue 10: a master realm-admin
// reset the master admin's password and logged in as them): an
// administrator changes a user only if they hold every administrative role
// that user holds.
//
// Administrative power is what rbac's escalation rule calls it: the realm
// roles iam.RoleAdmin and iam.RoleRealmAdmin and the realm-management
// client's roles (iam.Permissions), held directly or through any
// composite, realm or client role (iam.AdminRoles of the effective realm
// and client roles). Every change to a user made through this Service with a principal
// in ctx (iam.PrincipalFrom, as on every admin API call) — Update (enabled,
// email, username, required actions, ...), SetPassword, DeleteCredential,
// Delete, SendVerifyEmail, ExecuteActionsEmail, and Import overwriting an
// existing user — needs a caller who holds now, in the user's realm, each
// admin role the user holds now, unless the caller is a master
// administrator (admin in master, who holds every power) or the user
// themself. Otherwise it is CodeForbidden and nothing changes. Both sides
// are read from the RoleReader (WithRoles) at the time of the call, never
// from the token.
//
// Calls without a principal are the deployment's own code (bootstrap,
// consumers, the internal API behind the service token) and are not
// checked; neither is a Service without WithRoles.

// RoleReader reads a subject's current effective roles, composites
// expanded (iam.RoleReader). *rbac.Service, *rbac.CachedResolver and the
// remote rbachttp.Client implement it. An unknown subject holds no roles.
type RoleReader = iam.RoleReader

// WithRoles makes the Service enforce the rule protecting more powerful
// users (see above) by reading effective roles from roles: in one process
// the rbac.Service, across processes the remote rbachttp.Client. A Service
// behind an admin API must have it; without it, any administrator of a
// realm can change (and so take over) its most powerful users.
func WithRoles(roles RoleReader) Option { return func(s *Service) { s.roles = roles } }

// guarded reports whether a change of user id of realm made with ctx falls
// under the rule: a principal other than the user itself, and roles to ask.
func (s *Service) guarded(ctx context.Context, realm iam.Realm, id string) bool {
	p := iam.PrincipalFrom(ctx)
	return s.roles != nil && p != nil && !(p.Realm == realm && p.Subject == id)
}

// authorize checks the rule for a change of user id of realm that has not
// loaded the user: CodeNotFound if it does not exist (so that a missing user
// is 404 whatever the caller's power), CodeForbidden if the caller may not
// change it.
func (s *Service) authorize(ctx context.Context, realm iam.Realm, id string) error {
	if !s.guarded(ctx, realm, id) {
		return nil
	}
	if _, err := s.store.Get(ctx, realm, id); err != nil {
		return userNotFound(err)
	}
	return s.mayChange(ctx, realm, id)
}

// mayChange returns nil if the principal in ctx may change user id of realm
// (an existing user), CodeForbidden naming an admin role the user holds and
// the caller does not, or the RoleReader's error (CodeUnavailable: the
// change is refused, never let through).
func (s *Service) mayChange(ctx context.Context, realm iam.Realm, id string) error {
	if !s.guarded(ctx, realm, id) {
		return nil
	}
	return iam.MayChange(ctx, s.roles, realm, id, "user")
}
