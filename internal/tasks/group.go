package tasks

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Group runs named background tasks (outbox relays, consumers) under one
// context until Stop. A task that ends with an error while the group runs is
// logged as "background task stopped" with the task's name and the error, and
// started again after a backoff (doubling from one second to a minute), so a
// consumer that lost its broker comes back by itself; a task that returns nil
// is done. The other tasks go on either way.
type Group struct {
	ctx        context.Context
	cancel     context.CancelFunc
	log        *slog.Logger
	wg         sync.WaitGroup
	minBackoff time.Duration
	maxBackoff time.Duration
}

// NewGroup returns a group whose tasks run until ctx ends or Stop is called.
func NewGroup(ctx context.Context, log *slog.Logger) *Group {
	ctx, cancel := context.WithCancel(ctx)
	return &Group{ctx: ctx, cancel: cancel, log: log, minBackoff: time.Second, maxBackoff: time.Minute}
}

// SetBackoff sets the restart backoff of failed tasks (tests); call it before
// Go.
func (g *Group) SetBackoff(min, max time.Duration) { g.minBackoff, g.maxBackoff = min, max }

// Go starts fn in its own goroutine with the group's context, restarting it
// after failures until the group stops.
func (g *Group) Go(name string, fn func(context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		backoff := g.minBackoff
		for {
			err := fn(g.ctx)
			if err == nil || g.ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return
			}
			g.log.Error("background task stopped", "task", name, "error", err.Error(), "restart_in", backoff.String())
			select {
			case <-g.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, g.maxBackoff)
		}
	}()
}

// Stop cancels the group's context and waits until every task has returned.
// It may be called more than once.
func (g *Group) Stop() {
	g.cancel()
	g.wg.Wait()
}
