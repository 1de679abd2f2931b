package session

import (
	"context"
	"errors"

	"github.com/opengate-iam/opengate/iam"
)

// Terminate ends active session id of realm for reason (one of the Reason
// constants) and publishes one session.terminated for it. The termination
// and its event are recorded together (Store.Terminate), so a repeated or
// concurrent termination publishes nothing more, and an event the bus does
// not take is published later by the relay (RelayPending), never dropped.
// CodeNotFound if the session is not active.
func (s *Service) Terminate(ctx context.Context, realm iam.Realm, id, reason string) error {
	const op = "session.Terminate"
	if err := realm.Validate(); err != nil {
		return iam.Wrap(op, err)
	}
	if id == "" {
		return iam.Wrap(op, iam.Invalidf("id", "session id is required"))
	}
	var e iam.Event
	_, err := s.store.Terminate(ctx, realm, id, func(sess Session) (iam.Event, error) {
		var err error
		e, err = terminatedEvent(sess, reason)
		return e, err
	})
	if err != nil {
		return iam.Wrap(op, err)
	}
	s.publish(ctx, e, id)
	return nil
}

// TerminateOwn ends session id of realm if it belongs to user userID (the
// account API: a user ends only their own sessions). Another user's session
// is CodeNotFound, as a missing one is.
func (s *Service) TerminateOwn(ctx context.Context, realm iam.Realm, userID, id string) error {
	const op = "session.TerminateOwn"
	sess, err := s.Get(ctx, realm, id)
	if err != nil {
		return iam.Wrap(op, err)
	}
	if sess.UserID != userID {
		return iam.Wrap(op, iam.NotFoundf("session not found"))
	}
	return iam.Wrap(op, s.Terminate(ctx, realm, id, ReasonAccount))
}

// TerminateUser ends every active session of user userID in realm but
// session keep ("" ends all), each with its session.terminated, and returns
// how many it ended. Sessions ended concurrently are skipped.
func (s *Service) TerminateUser(ctx context.Context, realm iam.Realm, userID, reason, keep string) (int, error) {
	const op = "session.TerminateUser"
	list, err := s.ListByUser(ctx, realm, userID)
	if err != nil {
		return 0, iam.Wrap(op, err)
	}
	n := 0
	for _, sess := range list {
		if sess.ID == keep {
			continue
		}
		switch err := s.Terminate(ctx, realm, sess.ID, reason); {
		case err == nil:
			n++
		case !errors.Is(err, iam.ErrNotFound):
			return n, iam.Wrap(op, err)
		}
	}
	return n, nil
}

// TerminateRealm ends every active session of realm (Keycloak's logout-all),
// each with its session.terminated, and returns how many it ended.
// Sessions that start meanwhile may survive.
func (s *Service) TerminateRealm(ctx context.Context, realm iam.Realm, reason string) (int, error) {
	const op = "session.TerminateRealm"
	if err := realm.Validate(); err != nil {
		return 0, iam.Wrap(op, err)
	}
	n := 0
	for {
		list, err := s.store.List(ctx, realm, Filter{Max: MaxPageSize})
		if err != nil {
			return n, iam.Wrap(op, err)
		}
		ended := 0
		for _, sess := range list {
			switch err := s.Terminate(ctx, realm, sess.ID, reason); {
			case err == nil:
				ended++
			case !errors.Is(err, iam.ErrNotFound):
				return n + ended, iam.Wrap(op, err)
			}
		}
		n += ended
		if ended == 0 { // nothing left, or only sessions ended meanwhile
			return n, nil
		}
	}
}

// logout ends session id after its client logged out (auth.logout). A
// logout that arrives before its login (they travel on different topics)
// forbids the id, so the late login does not create it.
func (s *Service) logout(ctx context.Context, realm iam.Realm, id string) error {
	const op = "session.logout"
	for range 2 {
		err := s.Terminate(ctx, realm, id, ReasonLogout)
		if !errors.Is(err, iam.ErrNotFound) {
			return err
		}
		_, max, err := s.lifespans(ctx, realm)
		if errors.Is(err, iam.ErrNotFound) {
			return nil // the realm is gone
		}
		if err != nil {
			return iam.Wrap(op, err)
		}
		forbidden, err := s.store.Forbid(ctx, realm, id, s.now().Add(max))
		if err != nil || forbidden {
			return iam.Wrap(op, err)
		}
		// The id is known: ended already, or created since Terminate
		// looked; a second Terminate tells.
	}
	return nil
}
