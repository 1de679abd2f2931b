package opengate

import (
	"context"
	"log/slog"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/session"
)

// sessionsInProcess publishes auth's events and hands auth.login.success
// and auth.logout to the session service at once, in process, once the
// publisher has them: a browser signed in is redirected to the
// application right after, and its session must be in the account pages'
// list (and a logged-out one gone) before the session service's consumer
// gets the event from the bus. The consumer applies it again later, which
// changes nothing (session.Service.HandleEvent is idempotent). A failure
// here is logged: the consumer still applies the event.
type sessionsInProcess struct {
	iam.Publisher
	sessions *session.Service
	log      *slog.Logger
}

// Publish publishes events, then applies the session service's.
func (p sessionsInProcess) Publish(ctx context.Context, events ...iam.Event) error {
	if err := p.Publisher.Publish(ctx, events...); err != nil {
		return err
	}
	for _, e := range events {
		if e.Type != iam.TopicLoginSuccess && e.Type != iam.TopicLogout {
			continue
		}
		if err := p.sessions.HandleEvent(ctx, e); err != nil {
			p.log.WarnContext(ctx, "opengate: applying an auth event to the sessions in process failed; the consumer will",
				slog.String("type", e.Type), slog.String("realm", string(e.Realm)), slog.String("error", err.Error()))
		}
	}
	return nil
}
