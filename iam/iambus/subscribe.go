package iambus

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Subscribe joins consumer group group for topics and calls handler for each
// of the group's events (see Bus for the delivery rules) until ctx ends, then
// returns ctx's error once no handler call of this subscription is running.
// It reports iam.ReportReady to ctx's Readiness once the group is registered.
// Handler calls get a context that ends with ctx or with Close. A panicking
// handler counts as a failed attempt. Errors: CodeInvalid for an empty group,
// no or empty topics, or a nil handler; CodeUnavailable when the bus is or gets
// closed.
func (b *Bus) Subscribe(ctx context.Context, group string, topics []string, handler iam.Handler) error {
	const op = "iambus.Subscribe"
	if err := validateSubscription(group, topics); err != nil {
		return iam.Wrap(op, err)
	}
	if handler == nil {
		return iam.Wrap(op, iam.Invalidf("handler", "handler is required"))
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return errClosed(op)
	}
	g := b.declareLocked(group, topics)
	b.mu.Unlock()
	iam.ReportReady(ctx) // the group receives its events from now on

	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-b.done:
			cancel()
		case <-hctx.Done():
		}
	}()

	var wg sync.WaitGroup
	for range b.cfg.concurrency {
		wg.Go(func() { b.consume(hctx, g, topics, handler) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return errClosed(op)
}

// consume is one consumer of group g: it takes an idle lane's head event,
// handles it, and repeats until ctx ends.
func (b *Bus) consume(ctx context.Context, g *group, topics []string, h iam.Handler) {
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return
		}
		q, l, e, ok := g.takeLocked(topics)
		wake := g.wake
		b.mu.Unlock()
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-wake:
				continue
			}
		}

		done := b.deliver(ctx, g.name, q.topic, e, h)

		b.mu.Lock()
		l.busy = false
		if done {
			l.events[0] = iam.Event{}
			l.events = l.events[1:]
			q.size--
			broadcast(&b.space)
		}
		broadcast(&g.wake)
		b.mu.Unlock()
		if ctx.Err() != nil {
			return
		}
	}
}

// deliver calls h with e until it succeeds or e is dead-lettered (true), or
// until ctx ends (false: e stays queued).
func (b *Bus) deliver(ctx context.Context, group, topic string, e iam.Event, h iam.Handler) bool {
	for attempt := 1; ; attempt++ {
		err := call(ctx, h, e)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if attempt >= b.cfg.maxAttempts {
			return b.deadLetter(ctx, DeadLetter{Group: group, Topic: topic, Event: e, Attempts: attempt, Err: err})
		}
		b.cfg.logger.LogAttrs(ctx, slog.LevelWarn, "iambus: handler failed, will retry",
			attrs(group, topic, e, attempt, err)...)
		if !sleep(ctx, b.cfg.backoff(attempt)) {
			return false
		}
	}
}

// deadLetter publishes dl.Event to the dead-letter topic of dl.Topic and
// reports dl. It returns false if ctx ended before the event was queued.
func (b *Bus) deadLetter(ctx context.Context, dl DeadLetter) bool {
	if err := b.enqueue(ctx, DLQTopic(dl.Topic), dl.Event); err != nil {
		return false
	}
	if b.cfg.deadLetter != nil {
		b.cfg.deadLetter(ctx, dl)
		return true
	}
	b.cfg.logger.LogAttrs(ctx, slog.LevelError, "iambus: handler gave up, event dead-lettered",
		attrs(dl.Group, dl.Topic, dl.Event, dl.Attempts, dl.Err)...)
	return true
}

// call runs h, turning a panic into an error.
func call(ctx context.Context, h iam.Handler, e iam.Event) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &iam.Error{Code: iam.CodeInternal, Op: "iambus.handler", Err: fmt.Errorf("panic: %v", r)}
		}
	}()
	return h(iam.WithTraceParent(ctx, e.TraceParent), e)
}

// sleep waits d or until ctx ends; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// attrs describes a delivery for logs: never the event's data.
func attrs(group, topic string, e iam.Event, attempt int, err error) []slog.Attr {
	return []slog.Attr{
		slog.String("group", group),
		slog.String("topic", topic),
		slog.String("event_id", e.ID),
		slog.String("realm", string(e.Realm)),
		slog.Int("attempt", attempt),
		slog.String("error", err.Error()),
	}
}
