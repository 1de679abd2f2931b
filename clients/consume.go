package clients

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// Consumer is the consumer-group name of the clients service's event
// consumer, also the name under which it records handled events
// (Store.Once).
const Consumer = "clients"

// Topics returns the topics HandleEvent consumes.
func Topics() []string {
	return []string{iam.TopicRealmCreated, iam.TopicRealmDeleted}
}

// HandleEvent applies a consumed event, at most once per event id (the
// Store's Once, in the same transaction as the effect for Postgres):
//
//   - realm.created: EnsureDefaults (creates admin-cli and realm-management
//     in the new realm).
//   - realm.deleted: deletes every client of the realm.
//
// Other topics are ignored. An event without id or with a malformed realm
// is CodeInvalid (the bus retries, then dead-letters it). It has the
// signature of iam.Handler.
func (s *Service) HandleEvent(ctx context.Context, e iam.Event) error {
	const op = "clients.HandleEvent"
	if e.Type != iam.TopicRealmCreated && e.Type != iam.TopicRealmDeleted {
		return nil
	}
	if err := e.Realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	if e.ID == "" {
		return iam.Wrap(op, iam.Invalidf("id", "event has no id"))
	}
	err := s.store.Once(ctx, Consumer, e.ID, func(st Store) error {
		if e.Type == iam.TopicRealmCreated {
			return s.ensureDefaults(ctx, st, e.Realm)
		}
		_, err := st.DeleteRealm(ctx, e.Realm)
		return err
	})
	if e.Type == iam.TopicRealmDeleted {
		// After the commit: of Once, or of the batch Once joined.
		iam.AfterCommit(ctx, func() { s.cache.invalidateRealm(e.Realm) })
	}
	return iam.Wrap(op, err)
}
