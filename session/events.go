package session

import (
	"context"
	"log/slog"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// EventSource is the CloudEvents source of the session service's events.
const EventSource = "/opengate/session"

// publishTimeout bounds the publication of one termination's event, which
// goes on when the request that caused it ends (the relay would publish it
// otherwise, but later).
const publishTimeout = 10 * time.Second

// TerminatedEvent is the data of session.terminated (subject: the user id).
// Auth revokes the session's refresh tokens and access tokens on it.
type TerminatedEvent struct {
	Realm     iam.Realm `json:"realm"`
	UserID    string    `json:"userId"`
	SessionID string    `json:"sessionId"`
	Reason    string    `json:"reason"` // one of the Reason constants
}

func terminatedEvent(s Session, reason string) (iam.Event, error) {
	return iam.NewEvent(EventSource, iam.TopicSessionTerminated, s.Realm, s.UserID,
		TerminatedEvent{Realm: s.Realm, UserID: s.UserID, SessionID: s.ID, Reason: reason})
}

// publish publishes the pending event e of session sid and marks it
// published. A failure is logged, not returned: the termination is done and
// its event stays pending in the store, where RelayPending finds it (with
// the same event id, so consumers that see it twice know it).
func (s *Service) publish(ctx context.Context, e iam.Event, sid string) {
	if s.events == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	err := s.events.Publish(ctx, e)
	if err == nil {
		err = s.store.Published(ctx, e.Realm, sid)
	}
	if err != nil {
		s.log.WarnContext(ctx, "session.terminated not published yet; the relay will retry",
			slog.String("realm", string(e.Realm)), slog.String("event", e.ID), slog.String("error", err.Error()))
	}
}

// RelayPending publishes the events of terminations whose own publication
// failed (or was cut short by a crash): every pending event older than the
// relay grace (WithRelayGrace), oldest first, each marked published once
// the bus has it. It returns how many it published and stops at the first
// failure. Run calls it periodically.
func (s *Service) RelayPending(ctx context.Context) (int, error) {
	const op = "session.RelayPending"
	if s.events == nil {
		return 0, nil
	}
	const batch = 100
	n := 0
	for {
		events, err := s.store.Pending(ctx, s.now().Add(-s.grace), batch)
		if err != nil {
			return n, iam.Wrap(op, err)
		}
		for _, e := range events {
			var d TerminatedEvent
			if err := e.Decode(&d); err != nil || d.SessionID == "" {
				return n, &iam.Error{Code: iam.CodeInternal, Op: op, Message: "malformed pending event", Err: err}
			}
			if err := s.events.Publish(ctx, e); err != nil {
				return n, iam.Wrap(op, err)
			}
			if err := s.store.Published(ctx, e.Realm, d.SessionID); err != nil {
				return n, iam.Wrap(op, err)
			}
			n++
		}
		if len(events) < batch {
			return n, nil
		}
	}
}

// Run relays pending events (RelayPending) every RelayEvery until ctx ends,
// logging failures, and then returns nil.
func (s *Service) Run(ctx context.Context) error {
	t := time.NewTicker(RelayEvery)
	defer t.Stop()
	iam.ReportStarting(ctx)
	for {
		if n, err := s.RelayPending(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "session event relay", slog.Int("published", n), slog.String("error", err.Error()))
			iam.ReportFailing(ctx, err)
		} else {
			iam.ReportReady(ctx)
			if n > 0 {
				s.log.InfoContext(ctx, "session event relay", slog.Int("published", n))
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
