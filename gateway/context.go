package gateway

import (
	"context"
	"net/netip"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// state is what the chain learns about one request, shared by its stages
// through the context (one allocation per request): the outer stages
// (logging, metrics) read what the inner ones (routing, authentication)
// found.
type state struct {
	id        string
	trace     traceContext
	start     time.Time
	route     *compiled
	path      string // the cleaned path
	realm     iam.Realm
	clientIP  netip.Addr
	principal *iam.Principal
}

type stateKey struct{}

func stateFrom(ctx context.Context) *state {
	s, _ := ctx.Value(stateKey{}).(*state)
	return s
}

// RequestID returns the id of the request ctx belongs to (the one sent back
// and to the upstream in X-Request-Id), or "" outside the gateway.
func RequestID(ctx context.Context) string {
	if s := stateFrom(ctx); s != nil {
		return s.id
	}
	return ""
}

// RouteFrom returns the route the request ctx belongs to matched, or nil
// (outside the gateway, or before routing).
func RouteFrom(ctx context.Context) *Route {
	if s := stateFrom(ctx); s != nil && s.route != nil {
		return &s.route.Route
	}
	return nil
}

// RealmFrom returns the realm named by the request's path (its {realm}
// segment), or "" when the path names none. When the request carries a
// verified principal, the principal's realm is this realm unless the
// principal is a master administrator.
func RealmFrom(ctx context.Context) iam.Realm {
	if s := stateFrom(ctx); s != nil {
		return s.realm
	}
	return ""
}

// ClientIP returns the address of the client the request came from: the
// connection's peer, or, when the peer is a trusted proxy, the address it
// forwarded (WithTrustedProxies). The zero Addr outside the gateway.
func ClientIP(ctx context.Context) netip.Addr {
	if s := stateFrom(ctx); s != nil {
		return s.clientIP
	}
	return netip.Addr{}
}
