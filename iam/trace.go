package iam

import "context"

type traceParentKey struct{}

// WithTraceParent returns ctx carrying the W3C traceparent of the work it
// does (version 00: "00-{32 hex trace id}-{16 hex parent id}-{2 hex
// flags}"); a malformed value is ignored. The gateway and
// iamhttp.Standard put an incoming request's there, and event consumers
// an event's; events recorded under ctx carry it (StampTrace), so a trace
// continues across the bus.
func WithTraceParent(ctx context.Context, traceparent string) context.Context {
	if !ValidTraceParent(traceparent) {
		return ctx
	}
	return context.WithValue(ctx, traceParentKey{}, traceparent)
}

// TraceParent returns the traceparent in ctx, or "".
func TraceParent(ctx context.Context) string {
	tp, _ := ctx.Value(traceParentKey{}).(string)
	return tp
}

// StampTrace returns events with TraceParent set from ctx where it is
// empty; events is returned as is when ctx carries no trace or every event
// has one, and is never modified.
func StampTrace(ctx context.Context, events []Event) []Event {
	tp := TraceParent(ctx)
	if tp == "" {
		return events
	}
	var out []Event
	for i, e := range events {
		if e.TraceParent != "" {
			continue
		}
		if out == nil {
			out = append([]Event(nil), events...)
		}
		out[i].TraceParent = tp
	}
	if out == nil {
		return events
	}
	return out
}

// ValidTraceParent reports whether s is a version-00 W3C traceparent:
// lowercase hex, neither id all zeros.
func ValidTraceParent(s string) bool {
	if len(s) != 55 || s[0] != '0' || s[1] != '0' || s[2] != '-' || s[35] != '-' || s[52] != '-' {
		return false
	}
	hex := func(part string) (zero bool, ok bool) {
		zero = true
		for i := 0; i < len(part); i++ {
			c := part[i]
			if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
				return false, false
			}
			if c != '0' {
				zero = false
			}
		}
		return zero, true
	}
	traceZero, ok1 := hex(s[3:35])
	parentZero, ok2 := hex(s[36:52])
	_, ok3 := hex(s[53:55])
	return ok1 && ok2 && ok3 && !traceZero && !parentZero
}
