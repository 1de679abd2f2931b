package iam

import "context"

type clientIPKey struct{}

// WithClientIP returns a context carrying ip, the network address of the
// request's caller as the transport determined it (behind a trusted proxy,
// the address the proxy reports). Services use it for per-address limits.
func WithClientIP(ctx context.Context, ip string) context.Context {
	return context.WithValue(ctx, clientIPKey{}, ip)
}

// ClientIP returns the caller's address in ctx, or "" when the transport
// put none there (the deployment's own calls).
func ClientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}
