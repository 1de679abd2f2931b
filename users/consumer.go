package users

import (
	"context"
	"log/slog"

	"github.com/opengate-iam/opengate/iam"
)

// Consumer is the consumer-group name of the users service's event consumer,
// also the name under which it records handled events (Store.Once).
const Consumer = "users"

// Topics returns the topics the users service consumes (with HandleEvent,
// group Consumer): realm.deleted.
func Topics() []string {
	return []string{iam.TopicRealmDeleted}
}

// HandleEvent applies a consumed event, at most once per event id (the
// Store's Once, in the same transaction as the effect for Postgres):
//
//   - realm.deleted: deletes every user of the event's realm with their
//     credentials and tokens. It emits no per-user events: every consumer
//     of user.deleted also consumes realm.deleted.
//
// Handling each event once matters: a late redelivery must not empty a realm
// re-created under the same name. Other topics are ignored. An event without
// id or with a malformed realm is CodeInvalid (the bus retries, then
// dead-letters it). It has the signature of iam.Handler.
func (s *Service) HandleEvent(ctx context.Context, e iam.Event) error {
	const op = "users.HandleEvent"
	if e.Type != iam.TopicRealmDeleted {
		return nil
	}
	if err := e.Realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	if e.ID == "" {
		return iam.Wrap(op, iam.Invalidf("id", "event has no id"))
	}
	var n int
	err := s.store.Once(ctx, Consumer, e.ID, func(st Store) error {
		var err error
		n, err = st.DeleteRealm(ctx, e.Realm)
		return err
	})
	if err != nil {
		return iam.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "deleted users of deleted realm", slog.String("realm", string(e.Realm)), slog.Int("users", n))
	return nil
}
