// Package routing builds the HTTP handler every OpenGate process serves:
// request metrics, /healthz, /readyz and /metrics, the routes that
// authenticate their callers themselves (OIDC), and the routes behind bearer
// token verification, wrapped in iamhttp.Standard — or, with Routes.Front,
// behind the gateway chain (package gateway), as the all-in-one serves them.
//
//	h := routing.Router(routing.Routes{
//		Metrics:  "realms",
//		Checks:   map[string]iamhttp.Check{"postgres": pool.Ping},
//		Verifier: verifier,
//		Verified: realmshttp.NewHandler(svc).Mount,
//	}, log)
//
// It is internal: the binaries (through cmd/internal/boot) and the root
// package opengate use it.
package routing
