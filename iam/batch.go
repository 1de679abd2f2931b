package iam

import "context"

// A Batcher groups the handling of several events of one consumer group
// into one unit of work — one database transaction — so that their effects
// commit together, once, instead of once per event. A Subscriber whose
// Subscribe ctx carries one (WithBatcher) may hand the handler a run of
// events inside a batch: it calls Begin, calls the handler for each event
// with the returned ctx, in order, and then Commit; if a handler call or the
// commit fails, it calls Abort and handles the same events again one at a
// time, outside any batch (a batch is an optimisation, never a different
// outcome). Handlers are unchanged: the store's Once joins the batch it
// finds in its ctx (iampg.HandleOnce), and work that must wait for the
// commit uses AfterCommit.
type Batcher interface {
	// Begin starts a batch for group's events (their ids, for the
	// batcher to look up in bulk what was handled before). It returns a
	// nil Batch, and ctx unchanged, when group's events are not batched.
	Begin(ctx context.Context, group string, eventIDs []string) (context.Context, Batch, error)
}

// A Batch is a unit of work begun by a Batcher.
type Batch interface {
	// Commit makes the effects of the batch's events durable, then runs
	// the functions given to AfterCommit. An error means nothing was
	// committed.
	Commit(ctx context.Context) error
	// Abort discards the batch's effects; the AfterCommit functions never
	// run.
	Abort(ctx context.Context)
	// AfterCommit runs fn once the batch has committed.
	AfterCommit(fn func())
}

type batcherKey struct{}
type batchKey struct{}

// WithBatcher returns a copy of ctx carrying b, for the Subscribe calls run
// with it.
func WithBatcher(ctx context.Context, b Batcher) context.Context {
	return context.WithValue(ctx, batcherKey{}, b)
}

// BatcherFrom returns the Batcher in ctx, or nil.
func BatcherFrom(ctx context.Context) Batcher {
	b, _ := ctx.Value(batcherKey{}).(Batcher)
	return b
}

// WithBatch returns a copy of ctx carrying the batch b: Batcher
// implementations return it from Begin.
func WithBatch(ctx context.Context, b Batch) context.Context {
	return context.WithValue(ctx, batchKey{}, b)
}

// BatchFrom returns the batch in ctx, or nil.
func BatchFrom(ctx context.Context) Batch {
	b, _ := ctx.Value(batchKey{}).(Batch)
	return b
}

// AfterCommit runs fn once the effects made with ctx are committed: at the
// commit of the batch in ctx, or at once when ctx carries none. Consumers
// use it for what must follow the commit, such as dropping a cache entry
// that a concurrent reader could otherwise fill again with the state before.
func AfterCommit(ctx context.Context, fn func()) {
	if b := BatchFrom(ctx); b != nil {
		b.AfterCommit(fn)
		return
	}
	fn()
}
