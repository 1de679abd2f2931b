package notify

import (
	"context"
	"errors"
	"slices"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

// Consumer is the consumer-group name of the notify service's event
// consumer, also the name under which it records handled events
// (Store.Once).
const Consumer = "notify"

// Topics returns the topics HandleEvent consumes.
func Topics() []string {
	return []string{iam.TopicUserCreated, iam.TopicUserVerifyEmailRequested, iam.TopicUserPasswordResetRequested,
		iam.TopicLoginFailure, iam.TopicUserDeleted, iam.TopicRealmDeleted}
}

// HandleEvent applies a consumed event, at most once per event id (the
// Store's Once, in the transaction of the effect on PostgreSQL):
//
//   - user.created: a welcome mail to a new enabled user with an address,
//     unless imported (partialImport) or the realm's welcomeEmailEnabled
//     attribute is "false"; a user whose address awaits verification
//     (VERIFY_EMAIL) is sent a verification link instead (through
//     WithVerification), which arrives as user.verify_email_requested.
//   - user.verify_email_requested: the verification mail with its link.
//   - user.password_reset_requested: the reset mail with its link, or the
//     execute-actions mail listing the actions an administrator asked for.
//   - auth.login.failure: counts a user's failed sign-ins and alerts them
//     once per window beyond the realm's threshold (see alert.go).
//   - user.deleted forgets the user's failure count; realm.deleted
//     deletes the realm's deliveries, counts and templates.
//
// Mail is recorded pending in the delivery log, one delivery per (event,
// kind), and sent by the worker (Run, DeliverDue); HandleEvent wakes it.
// Other topics are ignored. An event without id or with a malformed realm
// or data is CodeInvalid (the bus retries, then dead-letters it). It has
// the signature of iam.Handler.
func (s *Service) HandleEvent(ctx context.Context, e iam.Event) error {
	const op = "notify.HandleEvent"
	if !slices.Contains(Topics(), e.Type) {
		return nil
	}
	if err := e.Realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	if e.ID == "" {
		return iam.Wrap(op, iam.Invalidf("id", "event has no id"))
	}
	var err error
	switch e.Type {
	case iam.TopicUserCreated:
		err = s.onUserCreated(ctx, e)
	case iam.TopicUserVerifyEmailRequested, iam.TopicUserPasswordResetRequested:
		err = s.onActionRequested(ctx, e)
	case iam.TopicLoginFailure:
		err = s.onLoginFailure(ctx, e)
	case iam.TopicUserDeleted:
		err = s.store.Once(ctx, Consumer, e.ID, func(st Store) error {
			return st.DeleteFailures(ctx, e.Realm, e.Subject)
		})
	case iam.TopicRealmDeleted:
		err = s.store.Once(ctx, Consumer, e.ID, func(st Store) error {
			_, err := st.DeleteRealm(ctx, e.Realm)
			return err
		})
	}
	return iam.Wrap(op, err)
}

// enqueue records d once per event and wakes the worker.
func (s *Service) enqueue(ctx context.Context, e iam.Event, d Delivery) error {
	err := s.store.Once(ctx, Consumer, e.ID, func(st Store) error {
		_, _, err := st.Enqueue(ctx, d)
		return err
	})
	if err == nil {
		// Once the delivery is committed (Once's, or its batch's), the
		// worker can claim it.
		iam.AfterCommit(ctx, func() {
			s.nudge()
			s.prune(ctx, e.Realm)
		})
	}
	return err
}

// newDelivery returns a pending delivery of kind for event e, due now.
func (s *Service) newDelivery(e iam.Event, kind Kind, u users.User, to string) Delivery {
	now := s.timestamp()
	return Delivery{ID: iam.NewID(), Realm: e.Realm, EventID: e.ID, Kind: kind, UserID: u.ID, To: to,
		Status: StatusPending, NextAttemptAt: now, CreatedAt: now, UpdatedAt: now,
		Data: Data{Locale: locale(u), Username: u.Username, FirstName: u.FirstName, LastName: u.LastName}}
}

// user reads a user a mail is for; ok is false (and err nil) for a user
// deleted since, who gets no mail.
func (s *Service) user(ctx context.Context, realm iam.Realm, id string) (users.User, bool, error) {
	u, err := s.users.Get(ctx, realm, id)
	switch {
	case errors.Is(err, iam.ErrNotFound):
		return users.User{}, false, nil
	case err != nil:
		return users.User{}, false, err
	}
	return u, true, nil
}

func (s *Service) onUserCreated(ctx context.Context, e iam.Event) error {
	var d users.UserData
	if err := e.Decode(&d); err != nil {
		return err
	}
	if d.Imported || !d.Enabled || d.Email == "" {
		return nil
	}
	if s.verifier != nil && !d.EmailVerified && slices.Contains(d.RequiredActions, users.ActionVerifyEmail) {
		// The link comes back as user.verify_email_requested, whose mail
		// takes the welcome mail's place.
		return s.store.Once(ctx, Consumer, e.ID, func(Store) error {
			err := s.verifier.SendVerifyEmail(ctx, e.Realm, d.ID, 0)
			if errors.Is(err, iam.ErrNotFound) || iam.ErrorCode(err) == iam.CodeInvalid {
				return nil // deleted, disabled or without an address since
			}
			return err
		})
	}
	r, err := s.realm(ctx, e.Realm)
	if errors.Is(err, iam.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !welcomeEnabled(r) {
		return nil
	}
	// The event carries what the mail needs; the worker reads the user
	// when it sends (a user deleted since gets no mail) and takes their
	// locale then, so the consumer makes no call to the users service.
	u := users.User{ID: d.ID, Username: d.Username, FirstName: d.FirstName, LastName: d.LastName}
	return s.enqueue(ctx, e, s.newDelivery(e, KindWelcome, u, d.Email))
}

func (s *Service) onActionRequested(ctx context.Context, e iam.Event) error {
	var d users.ActionRequestedData
	if err := e.Decode(&d); err != nil {
		return err
	}
	if d.Email == "" || len(d.SealedLink) == 0 {
		return iam.Invalidf("data", "an action event without address or link")
	}
	kind := KindVerifyEmail
	if e.Type == iam.TopicUserPasswordResetRequested {
		kind = KindPasswordReset
		if len(d.RequiredActions) > 0 {
			kind = KindExecuteActions
		}
	}
	// As for the welcome mail, the worker reads the user when it sends.
	u := users.User{ID: d.ID, Username: d.Username, FirstName: d.FirstName, LastName: d.LastName}
	// The address is the event's: the one the link was issued for.
	del := s.newDelivery(e, kind, u, d.Email)
	del.Data.ExpiresAt = d.ExpiresAt.UTC()
	del.Data.Actions = d.RequiredActions
	del.SealedLink = d.SealedLink
	return s.enqueue(ctx, e, del)
}

// decodeFailure reads an auth.login.failure event.
func decodeFailure(e iam.Event) (auth.LoginFailureEvent, error) {
	var d auth.LoginFailureEvent
	err := e.Decode(&d)
	return d, err
}
