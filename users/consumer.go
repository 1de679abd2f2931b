package users

import (
	"context"
	"log/slog"

	"github.com/opengate-iam/opengate/iam"
)

// ConsumerGroup is the consumer group of the users service's consumers.
const ConsumerGroup = "users"

// ConsumedTopics are the topics the users service consumes.
var ConsumedTopics = []string{iam.TopicRealmDeleted}

// HandleRealmDeleted handles realm.deleted: it deletes every user of the
// event's realm with their credentials and tokens. It is idempotent (a
// redelivery finds nothing left to delete) and, with a store that is a
// OnceStore, handles each event once (so a late redelivery cannot empty a
// realm re-created under the same name). It emits no per-user events:
// every consumer of user.deleted also consumes realm.deleted.
func (s *Service) HandleRealmDeleted(ctx context.Context, e iam.Event) error {
	const op = "users.HandleRealmDeleted"
	if e.Type != iam.TopicRealmDeleted {
		return nil
	}
	if err := e.Realm.Validate(); err != nil {
		return nil // nothing this service could have stored
	}
	var n int
	deleteRealm := func(st Store) error {
		var err error
		n, err = st.DeleteRealm(ctx, e.Realm)
		return err
	}
	var err error
	if once, ok := s.store.(OnceStore); ok {
		err = once.Once(ctx, ConsumerGroup+"."+iam.TopicRealmDeleted, e, deleteRealm)
	} else {
		err = deleteRealm(s.store)
	}
	if err != nil {
		return iam.Wrap(op, err)
	}
	s.log.InfoContext(ctx, "deleted users of deleted realm", slog.String("realm", string(e.Realm)), slog.Int("users", n))
	return nil
}
