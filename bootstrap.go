package opengate

import (
	"cmp"
	"context"
	"fmt"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
)

// bootstrap creates, unless they exist, the master realm, its default
// clients (admin-cli, realm-management) and default roles, and the administrator, who is given the admin
// role only while no one else holds it (see rbac.GrantBootstrapAdmin).
func (s *Server) bootstrap(ctx context.Context, admin *Admin) error {
	if _, err := s.Realms.EnsureMaster(ctx); err != nil {
		return fmt.Errorf("bootstrap the master realm: %w", err)
	}
	if err := s.Clients.EnsureDefaults(ctx, iam.MasterRealm); err != nil {
		return fmt.Errorf("bootstrap admin-cli: %w", err)
	}
	if err := s.RBAC.EnsureRealmDefaults(ctx, iam.MasterRealm); err != nil {
		return fmt.Errorf("bootstrap the master roles: %w", err)
	}
	if admin == nil {
		return nil
	}
	username := cmp.Or(admin.Username, "admin")
	password := admin.Password
	if password == "" {
		password = iamcrypto.RandomToken(18)
	}
	u, created, err := s.Users.EnsureAdmin(ctx, username, password)
	if err != nil {
		return fmt.Errorf("bootstrap the administrator: %w", err)
	}
	// Only while no one else administers master: a user who took the
	// administrator's username later is not made administrator.
	granted, err := s.RBAC.GrantBootstrapAdmin(ctx, u.ID)
	if err != nil {
		return fmt.Errorf("grant the administrator the admin role: %w", err)
	}
	if !granted {
		s.log.WarnContext(ctx, "the bootstrap administrator is not given the admin role: other users of master hold it", "user", username)
	}
	if created && admin.Password == "" {
		s.generated = password
	}
	return nil
}

// ensureDefaultClients gives every realm the default clients it lacks
// (clients.Defaults: realms made before realm-management existed lack it),
// and is done. It reads every realm's name, then one statement per default
// client and realm (clients.Store.CreateIfAbsent); Run runs it in the
// background at every start.
func (s *Server) ensureDefaultClients(ctx context.Context) error {
	all, err := s.Realms.List(ctx)
	if err != nil {
		return fmt.Errorf("list the realms: %w", err)
	}
	names := make([]iam.Realm, len(all))
	for i, r := range all {
		names[i] = r.Name
	}
	return s.Clients.EnsureDefaultsIn(ctx, names)
}
