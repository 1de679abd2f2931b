package rbac

import (
	"context"
	"slices"
	"strings"

	"github.com/opengate-iam/opengate/iam"
)

// Topics returns the topics rbac consumes (with HandleEvent, group
// Consumer).
func Topics() []string {
	return []string{
		iam.TopicRealmCreated, iam.TopicRealmDeleted,
		iam.TopicUserCreated, iam.TopicUserDeleted,
		iam.TopicClientCreated, iam.TopicClientUpdated, iam.TopicClientDeleted,
	}
}

// HandleEvent applies a consumed event, at most once per event id (the
// Store's Once), and each effect is idempotent besides:
//
//   - realm.created: EnsureRealmDefaults.
//   - realm.deleted: DeleteRealm.
//   - user.created: AssignDefaultRoles (data "id", else the subject), and
//     GrantBootstrapAdmin for the bootstrap administrator's username
//     (WithBootstrapAdmin): only while no one else holds master's admin.
//     An imported user (data "imported") gets neither: as in Keycloak, it
//     holds the roles its import maps.
//   - user.deleted: DeleteUser.
//   - client.created, client.updated: PutClient (data "id" and "clientId"),
//     and EnsureRealmManagementRoles for the realm-management client.
//   - client.deleted: DeleteClient.
//
// Other topics are ignored. Malformed events are CodeInvalid (the bus
// retries, then dead-letters them). It has the signature of iam.Handler.
func (s *Service) HandleEvent(ctx context.Context, e iam.Event) error {
	const op = "rbac.HandleEvent"
	if !slices.Contains(Topics(), e.Type) {
		return nil
	}
	if err := e.Realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	if e.ID == "" {
		return iam.Wrap(op, iam.Invalidf("id", "event has no id"))
	}
	err := s.store.Once(ctx, Consumer, e.ID, func(st Store) error {
		return s.with(st).apply(ctx, e)
	})
	// After the commit: of Once, or of the batch Once joined (iam.Batcher).
	iam.AfterCommit(ctx, func() { s.invalidateConsumed(e) })
	return iam.Wrap(op, err)
}

// invalidateConsumed drops from the effective-roles cache what consuming e
// may have changed. apply's changes already invalidated, but inside the
// Store's Once transaction, before it committed: a load between those
// invalidations and the commit could have cached the old roles again.
func (s *Service) invalidateConsumed(e iam.Event) {
	if s.cache == nil {
		return
	}
	switch e.Type {
	case iam.TopicRealmDeleted, iam.TopicClientCreated, iam.TopicClientUpdated, iam.TopicClientDeleted:
		s.cache.invalidateRealm(e.Realm)
	case iam.TopicUserCreated, iam.TopicUserDeleted:
		var d eventData
		if len(e.Data) == 0 || e.Decode(&d) != nil || d.ID == "" {
			d.ID = e.Subject
		}
		s.cache.invalidateUser(e.Realm, d.ID)
	}
}

// eventData holds the fields rbac reads from other services' payloads;
// anything else in them is ignored.
type eventData struct {
	ID       string `json:"id"`
	ClientID string `json:"clientId"`
	Username string `json:"username"`
	Imported bool   `json:"imported"`
}

func (s *Service) apply(ctx context.Context, e iam.Event) error {
	var d eventData
	if len(e.Data) > 0 && e.Type != iam.TopicRealmCreated && e.Type != iam.TopicRealmDeleted {
		if err := e.Decode(&d); err != nil {
			return err
		}
	}
	if d.ID == "" {
		d.ID = e.Subject
	}
	switch e.Type {
	case iam.TopicRealmCreated:
		return s.EnsureRealmDefaults(ctx, e.Realm)
	case iam.TopicRealmDeleted:
		return s.DeleteRealm(ctx, e.Realm)
	case iam.TopicUserCreated:
		if d.Imported {
			return nil
		}
		if err := s.AssignDefaultRoles(ctx, e.Realm, d.ID); err != nil {
			return err
		}
		if s.bootstrapAdmin != "" && e.Realm == iam.MasterRealm && strings.ToLower(d.Username) == s.bootstrapAdmin {
			_, err := s.GrantBootstrapAdmin(ctx, d.ID)
			return err
		}
		return nil
	case iam.TopicUserDeleted:
		return s.DeleteUser(ctx, e.Realm, d.ID)
	case iam.TopicClientCreated, iam.TopicClientUpdated:
		if err := s.PutClient(ctx, e.Realm, d.ID, d.ClientID); err != nil {
			return err
		}
		if d.ClientID == iam.RealmManagement {
			return s.EnsureRealmManagementRoles(ctx, e.Realm, d.ID)
		}
		return nil
	case iam.TopicClientDeleted:
		return s.DeleteClient(ctx, e.Realm, d.ID)
	}
	return nil
}
