package iam

import (
	"context"
	"time"
)

// callTimeoutKey is the context key of the per-call budget.
type callTimeoutKey struct{}

// WithCallTimeout returns ctx carrying d as the budget of each call to a
// dependency made with it: every PostgreSQL statement and Redis command of
// OpenGate's stores runs under CallContext(ctx), so a dependency that does not
// answer fails the call (with CodeUnavailable) after d instead of holding the
// request until the dependency comes back. iamhttp's Deadlines middleware sets
// it on every request; background work (relays, consumers) runs without one
// and bounds its own calls. d <= 0 removes the budget.
func WithCallTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, callTimeoutKey{}, d)
}

// CallTimeout returns the per-call budget of ctx, or 0 when it has none.
func CallTimeout(ctx context.Context) time.Duration {
	d, _ := ctx.Value(callTimeoutKey{}).(time.Duration)
	return max(d, 0)
}

// CallContext returns ctx bounded by its per-call budget, for one call to a
// dependency, and the function that releases it (call it when the call is
// done). Without a budget it returns ctx and a no-op.
func CallContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d := CallTimeout(ctx); d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return ctx, func() {}
}
