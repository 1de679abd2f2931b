package clients

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// The rule protecting more powerful subjects (users.md, "Administrators
// cannot change users with more power"), for service accounts: a client's
// secret is the credential of its service account, so reading it
// (Secret), rotating it, updating or deleting the client, with a principal
// in ctx (as on every admin API call), needs a caller who holds now every
// admin role the service account (iam.ServiceAccountSubject(id)) holds
// now, composites expanded — unless the caller is a master administrator.
// Otherwise it is CodeForbidden and nothing is read or changed
// (iam.MayChange). Without a principal (the deployment's own code) or
// without WithRoles it is not checked.

// WithRoles makes the Service enforce the rule above, reading effective
// roles from roles: the rbac.Service in one process, the remote
// rbachttp.Client across processes. A Service behind an admin API must
// have it; without it, any administrator of a realm can read the secret of
// (and so act as) a client whose service account holds more power.
func WithRoles(roles iam.RoleReader) Option {
	return func(c *serviceConfig) { c.roles = roles }
}

// authorize checks the rule for client id of realm before a change that
// has not loaded it: CodeNotFound if it does not exist (a missing client is
// 404 whatever the caller's power), CodeForbidden if the caller may not.
func (s *Service) authorize(ctx context.Context, realm iam.Realm, id string) error {
	if s.roles == nil || iam.PrincipalFrom(ctx) == nil {
		return nil
	}
	if _, err := s.store.Get(ctx, realm, id); err != nil {
		return err
	}
	return s.mayChange(ctx, realm, id)
}

// mayChange checks the rule for client id of realm, which exists.
func (s *Service) mayChange(ctx context.Context, realm iam.Realm, id string) error {
	if s.roles == nil {
		return nil
	}
	return iam.MayChange(ctx, s.roles, realm, iam.ServiceAccountSubject(id), "client's service account")
}
