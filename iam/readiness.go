package iam

import "context"

// Readiness receives, from inside a long-running call — a Subscribe, an
// outbox relay's Run — whether the call is doing its work, for the
// process's readiness check (/readyz). Whoever runs the call puts one in
// its context with WithReadiness; the call reports through ReportStarting,
// ReportReady and ReportFailing, which do nothing when the context carries
// none. Implementations must be safe for concurrent use.
type Readiness interface {
	// Starting says the call has begun and will report Ready once it is
	// up (a consumer joining its group can take seconds).
	Starting()
	// Ready says the call is doing its work: a consumer has joined its
	// group, a relay has reached the database and published what it found.
	Ready()
	// Failing says the latest attempt at the work failed with err; the call
	// goes on retrying, and reports Ready once an attempt succeeds again.
	Failing(err error)
}

type readinessKey struct{}

// WithReadiness returns a copy of ctx that carries r, for the call run with
// it to report its state to.
func WithReadiness(ctx context.Context, r Readiness) context.Context {
	return context.WithValue(ctx, readinessKey{}, r)
}

func readinessFrom(ctx context.Context) Readiness {
	r, _ := ctx.Value(readinessKey{}).(Readiness)
	return r
}

// ReportStarting tells ctx's Readiness, if any, that the call has begun and
// will report Ready.
func ReportStarting(ctx context.Context) {
	if r := readinessFrom(ctx); r != nil {
		r.Starting()
	}
}

// ReportReady tells ctx's Readiness, if any, that the call is doing its work.
func ReportReady(ctx context.Context) {
	if r := readinessFrom(ctx); r != nil {
		r.Ready()
	}
}

// ReportFailing tells ctx's Readiness, if any, that the call's latest attempt
// failed with err.
func ReportFailing(ctx context.Context, err error) {
	if r := readinessFrom(ctx); r != nil {
		r.Failing(err)
	}
}
