package iammem

import (
	"cmp"
	"context"
	"log/slog"
	"sync"

	"github.com/opengate-iam/opengate/iam"
)

// Publisher hands a memory store's events to the bus once their change is
// applied. A memory store has no outbox: the change is made before its
// events are published, so a failure to publish is logged, not returned
// (deployments that need the events of every change use the PostgreSQL
// stores, whose outbox commits them with the change). It is safe for
// concurrent use; the zero value is not usable, call NewPublisher.
type Publisher struct {
	pub   iam.Publisher
	log   *slog.Logger
	store string

	// mu is taken before the store's lock is released and held while
	// publishing, so events are published in the order their changes were
	// applied.
	mu sync.Mutex
}

// NewPublisher returns a Publisher for the store named store ("usersmem",
// for the log) that publishes to pub (nil: events are dropped) and logs
// failures to log (nil: slog.Default()).
func NewPublisher(pub iam.Publisher, log *slog.Logger, store string) *Publisher {
	return &Publisher{pub: pub, log: cmp.Or(log, slog.Default()), store: store}
}

// UnlockAndPublish publishes the events of a change the caller has just made
// under its store's write lock: it calls unlock (the lock's Unlock), then
// publishes. Events of changes made under one store's lock are therefore
// published in the order of the changes. Publishing goes on if ctx is
// cancelled, since the change is made; a failure is logged with the store's
// name and the number of events, never their content.
func (p *Publisher) UnlockAndPublish(ctx context.Context, unlock func(), events []iam.Event) {
	if p.pub == nil || len(events) == 0 {
		unlock()
		return
	}
	p.mu.Lock()
	unlock()
	defer p.mu.Unlock()
	if err := p.pub.Publish(context.WithoutCancel(ctx), iam.StampTrace(ctx, events)...); err != nil {
		p.log.ErrorContext(ctx, p.store+": events not published", slog.String("store", p.store),
			slog.Int("events", len(events)), slog.String("topic", events[0].Type), slog.String("error", err.Error()))
	}
}
