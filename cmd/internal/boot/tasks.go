package boot

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// Group runs named background tasks (outbox relays, consumers) under one
// context until Stop. A task that ends with an error other than
// context.Canceled is logged at once as "background task stopped" with the
// task's name and the error; the other tasks go on.
type Group struct {
	ctx    context.Context
	cancel context.CancelFunc
	log    *slog.Logger
	wg     sync.WaitGroup
}

// NewGroup returns a group whose tasks run until ctx ends or Stop is called.
func NewGroup(ctx context.Context, log *slog.Logger) *Group {
	ctx, cancel := context.WithCancel(ctx)
	return &Group{ctx: ctx, cancel: cancel, log: log}
}

// Go starts fn in its own goroutine with the group's context.
func (g *Group) Go(name string, fn func(context.Context) error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := fn(g.ctx); err != nil && !errors.Is(err, context.Canceled) {
			g.log.Error("background task stopped", "task", name, "error", err.Error())
		}
	}()
}

// Stop cancels the group's context and waits until every task has returned.
// It may be called more than once.
func (g *Group) Stop() {
	g.cancel()
	g.wg.Wait()
}
