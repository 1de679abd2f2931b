package clients

import (
	"context"

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

// RealmManagement is the clientId of the default bearer-only client of
// every realm whose client roles are the fine-grained administrative roles
// (iam.RealmManagement, iam.Permissions), as in Keycloak. rbac makes its
// roles when it learns the client.
const RealmManagement = iam.RealmManagement

// RealmManagementClient returns Keycloak's default realm-management client:
// bearer-only (it never obtains tokens; its roles appear in other clients'
// tokens), with no flow enabled.
func RealmManagementClient() Client {
	return Client{
		ClientID:   RealmManagement,
		Name:       "${client_realm-management}",
		Enabled:    true,
		BearerOnly: true,
	}
}

// Defaults returns the clients every realm has: admin-cli and
// realm-management.
func Defaults() []Client { return []Client{AdminCLIClient(), RealmManagementClient()} }

// EnsureDefaults creates the realm's default clients (Defaults) that do not
// exist, by clientId. It is idempotent and safe to run concurrently;
// bootstrap code calls it for every existing realm at start (EnsureDefaultsIn)
// and the realm.created consumer (HandleEvent) for every new realm.
func (s *Service) EnsureDefaults(ctx context.Context, realm iam.Realm) error {
	return iam.Wrap("clients.EnsureDefaults", s.ensureDefaults(ctx, s.store, realm))
}

// EnsureDefaultsIn runs EnsureDefaults for each of realms (the realms that
// existed before a default client was added: realm-management came with
// OpenGate's fine-grained admin roles), stopping at the first error or when
// ctx ends. A realm deleted meanwhile may get default clients back, to be
// removed by its realm.deleted event, which follows.
func (s *Service) EnsureDefaultsIn(ctx context.Context, realms []iam.Realm) error {
	for _, realm := range realms {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.EnsureDefaults(ctx, realm); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) ensureDefaults(ctx context.Context, st Store, realm iam.Realm) error {
	defaults := Defaults()
	cs := make([]Creation, len(defaults))
	for i, c := range defaults {
		rec, e, err := s.newRecord(realm, c, "")
		if err != nil {
			return err
		}
		cs[i] = Creation{Record: rec, Events: []iam.Event{e}}
	}
	// All in one step (Store.CreateIfAbsent: one statement with their
	// events in Postgres), the consumer's hot path; concurrent calls
	// create each once.
	created, err := st.CreateIfAbsent(ctx, cs...)
	if err != nil {
		return err
	}
	for i, c := range cs {
		if created[i] {
			s.cache.invalidate(realm, c.Record.Client.ID, c.Record.Client.ClientID)
		}
	}
	return nil
}

// protectedClientID reports whether a client's clientId may neither change
// to nor from clientID, nor the client be deleted: realm-management, whose
// roles are the realm's administrative power (a client renamed to it would
// turn its roles into admin roles, and deleting it would let another
// client take its name).
func protectedClientID(clientID string) bool { return clientID == RealmManagement }

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
