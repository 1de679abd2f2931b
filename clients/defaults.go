package clients

import (
	"context"
	"errors"

	"github.com/opengate-iam/opengate/iam"
)

// AdminCLI is the clientId of the default public client of every realm, as
// in Keycloak: command-line tools log in through it with the password grant.
const AdminCLI = "admin-cli"

// AdminCLIClient returns Keycloak's default admin-cli client: public, direct
// access grants (password grant) only, no redirect URIs.
func AdminCLIClient() Client {
	return Client{
		ClientID:                  AdminCLI,
		Name:                      "${client_admin-cli}",
		Enabled:                   true,
		PublicClient:              true,
		StandardFlowEnabled:       false,
		DirectAccessGrantsEnabled: true,
	}
}

// EnsureDefaults creates the realm's default clients (admin-cli) unless a
// client with that clientId exists. It is idempotent and safe to run
// concurrently; bootstrap code calls it for master, and the realm.created
// consumer (HandleEvent) for every new realm.
func (s *Service) EnsureDefaults(ctx context.Context, realm iam.Realm) error {
	return iam.Wrap("clients.EnsureDefaults", s.ensureDefaults(ctx, s.store, realm))
}

func (s *Service) ensureDefaults(ctx context.Context, st Store, realm iam.Realm) error {
	_, err := st.GetByClientID(ctx, realm, AdminCLI)
	if err == nil {
		return nil
	}
	if !errors.Is(err, iam.ErrNotFound) {
		return err
	}
	_, err = s.create(ctx, st, realm, AdminCLIClient(), "")
	if errors.Is(err, iam.ErrConflict) {
		return nil // created concurrently
	}
	return err
}

// DeleteRealm deletes every client of realm (the realm.deleted consumer
// calls it) and returns how many. It is idempotent.
func (s *Service) DeleteRealm(ctx context.Context, realm iam.Realm) (int, error) {
	if err := realm.Validate(); err != nil {
		return 0, iam.Wrap("clients.DeleteRealm", err)
	}
	n, err := s.store.DeleteRealm(ctx, realm)
	s.cache.invalidateRealm(realm)
	return n, iam.Wrap("clients.DeleteRealm", err)
}
