// Package gateway is OpenGate's single public entry point: a declarative
// route table from Keycloak's public paths to the services, and the chain
// every request passes through before it reaches one. The gateway binary
// (cmd/gateway, :8080) proxies to the microservices; the all-in-one binary
// and opengate.New serve their in-process handlers behind the same chain
// (Local upstreams), so both deployments behave alike.
//
// Every request goes through these stages, in this order:
//
//  1. Request id and trace context: a well-formed X-Request-Id is kept,
//     else one is made; it is sent back and to the upstream. The W3C
//     traceparent is continued (or started) with the gateway's span as
//     the upstream's parent.
//  2. Request log (slog) and metrics (Observer): method, cleaned path (no
//     query string), route, upstream, status, bytes, duration, request id,
//     trace id, client address, realm and subject — never a token, code,
//     password or other header value.
//  3. Panic recovery: a 500 with no detail; the stack is logged.
//  4. Routing: the path is decoded and cleaned ("//admin", "/x/../admin"
//     and "/admin/" are "/admin") and matched; the cleaned path is what
//     every later stage and the upstream see, so no spelling of a path
//     reaches an upstream as another. Encoded slashes or backslashes,
//     backslashes and control characters: 400; no route: 404. The body is
//     limited (413).
//  5. CORS (WithCORS): preflight requests are answered here; responses to
//     allowed origins carry the CORS headers, with credentials.
//  6. Rate limits (WithRateLimits): per client address, stricter on login
//     routes, per realm and client; 429 with Retry-After and RateLimit-*.
//  7. Authentication (WithVerifier) and policies (WithPolicy, RequireRole):
//     bearer tokens of Protected and Optional routes are verified, a
//     token of another realm than the path's is refused unless its caller
//     is a master administrator, and the principal is put in the context.
//  8. Your middleware (WithMiddleware), in the order given.
//  9. The upstream: a reverse proxy (hop-by-hop headers stripped,
//     X-Forwarded-* and Forwarded set, upstream down 502, slow 504) or an
//     in-process handler.
//
// The client address is the connection's peer unless the peer is a trusted
// proxy (WithTrustedProxies), whose X-Forwarded-For is then believed (the
// rightmost untrusted address); from any other peer forwarded headers are
// replaced, never passed on.
//
// The package depends only on the standard library and OpenGate's light
// packages (iam, iam/iamhttp, realms, clients): a shared rate limiter on
// Redis is in gateway/gatewayredis and Prometheus metrics in
// gateway/gatewayprom.
//
//	routes, _ := gateway.DefaultRoutes(gateway.Upstreams{Auth: auth, Realms: realms, Users: users, RBAC: rbac, Clients: clients})
//	gw, err := gateway.New(routes,
//		gateway.WithVerifier(verifier), // *authverify.Verifier
//		gateway.WithRateLimits(gateway.DefaultLimits(), gateway.NewMemoryLimiter()),
//		gateway.RequireRole("/admin/realms/shop/clients", "shop-admin"),
//		gateway.WithMiddleware(func(next http.Handler) http.Handler {
//			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//				p := iam.PrincipalFrom(r.Context()) // nil for anonymous requests
//				...
//				next.ServeHTTP(w, r)
//			})
//		}))
package gateway
