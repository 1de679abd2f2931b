package gateway

import (
	"net/http"
	"net/netip"

	"github.com/opengate-iam/opengate/iam"
)

// W3C Trace Context headers.
const (
	headerTraceparent = "traceparent"
	headerTracestate  = "tracestate"
)

// traceContext is the W3C trace context the gateway passes on: the
// caller's trace (a fresh one when the caller sent none or a malformed
// one), with the gateway's own span as the parent of the upstream's.
type traceContext struct {
	parent string // the traceparent sent upstream: 00-{trace id}-{gateway span id}-{flags}
	state  string // the caller's tracestate, passed on with its trace
}

// traceID returns the 32 hex digits of the trace id.
func (t traceContext) traceID() string {
	if len(t.parent) < 35 {
		return ""
	}
	return t.parent[3:35]
}

// traceFrom reads the caller's traceparent (version 00: lowercase hex,
// neither id all zeros) and tracestate, and makes the traceparent the
// upstream gets: the same trace id and flags with a new span id. Without a
// valid traceparent it starts a trace (flags 01, sampled) and drops the
// tracestate, which belongs to the trace it came with.
func traceFrom(h http.Header) traceContext {
	in := h.Get(headerTraceparent)
	var b [55]byte
	copy(b[:], "00-")
	b[35], b[52] = '-', '-'
	if iam.ValidTraceParent(in) {
		copy(b[3:35], in[3:35])
		copy(b[53:55], in[53:55])
		fillHex(b[36:52])
		return traceContext{parent: string(b[:]), state: truncateState(h.Get(headerTracestate))}
	}
	fillHex(b[3:35])
	fillHex(b[36:52])
	b[53], b[54] = '0', '1'
	return traceContext{parent: string(b[:])}
}

// truncateState bounds a passed-on tracestate to the specification's 512
// characters (dropping it whole beyond: a cut list could be misread).
func truncateState(s string) string {
	if len(s) > 512 {
		return ""
	}
	return s
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
