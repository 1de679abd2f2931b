package mfa

import (
	"context"

	"github.com/opengate-iam/opengate/iam"
)

// Consumer is the consumer-group name of the MFA service's event consumer,
// also the name under which it records handled events (Store.Once).
const Consumer = "mfa"

// Topics returns the topics HandleEvent consumes.
func Topics() []string {
	return []string{iam.TopicUserDeleted, iam.TopicRealmDeleted}
}

// HandleEvent applies a consumed event, at most once per event id (the
// Store's Once, in the same transaction as the effect for PostgreSQL):
//
//   - user.deleted (subject: the user id): removes the user's factors and
//     forgets their pending email code, send count and failures;
//   - realm.deleted: removes every factor of the realm (the realm's
//     ephemeral state expires with its TTLs).
//
// Both effects are idempotent in themselves. Other topics are ignored. An
// event without id or subject, or with a malformed realm, is CodeInvalid
// (the bus retries, then dead-letters it). It has the signature of
// iam.Handler.
func (s *Service) HandleEvent(ctx context.Context, e iam.Event) error {
	const op = "mfa.HandleEvent"
	if e.Type != iam.TopicUserDeleted && e.Type != iam.TopicRealmDeleted {
		return nil
	}
	if err := e.Realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	if e.ID == "" {
		return iam.Wrap(op, iam.Invalidf("id", "event has no id"))
	}
	if e.Type == iam.TopicRealmDeleted {
		return iam.Wrap(op, s.store.Once(ctx, Consumer, e.ID, func(st Store) error {
			_, err := st.DeleteRealm(ctx, e.Realm)
			return err
		}))
	}
	if e.Subject == "" {
		return iam.Wrap(op, iam.Invalidf("subject", "user.deleted has no subject"))
	}
	err := s.store.Once(ctx, Consumer, e.ID, func(st Store) error {
		_, err := st.DeleteUser(ctx, e.Realm, e.Subject)
		return err
	})
	if err != nil {
		return iam.Wrap(op, err)
	}
	return iam.Wrap(op, s.state.ForgetUser(ctx, e.Realm, e.Subject))
}
