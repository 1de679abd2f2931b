package routing

import (
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/iam/iamhttp"
	"github.com/opengate-iam/opengate/iam/iammetrics"
)

// Routes is what a binary serves besides health, readiness and metrics.
type Routes struct {
	// Metrics is the service label of the binary's metrics ("realms").
	Metrics string
	// Checks are what /readyz checks, by name ("postgres": pool.Ping).
	Checks map[string]iamhttp.Check
	// Public mounts the routes that authenticate their callers themselves
	// (the OIDC endpoints); nil for none.
	Public func(chi.Router)
	// Verifier checks the bearer token, if any, of every request to the
	// Verified routes and puts the caller's principal in its context.
	Verifier *authverify.Verifier
	// Verified mounts the routes behind Verifier.Middleware.
	Verified func(chi.Router)
}

// Router returns the handler every OpenGate binary serves: request metrics
// around everything; GET /healthz, /readyz (rt.Checks) and /metrics; the
// public routes; the verified routes; all wrapped in iamhttp.Standard
// (request id, request log to log, panic recovery).
func Router(rt Routes, log *slog.Logger) http.Handler {
	metrics := iammetrics.New(rt.Metrics)
	r := chi.NewRouter()
	r.Use(metrics.Middleware)
	r.Method(http.MethodGet, "/healthz", iamhttp.Healthz())
	r.Method(http.MethodGet, "/readyz", iamhttp.Readyz(rt.Checks))
	r.Method(http.MethodGet, "/metrics", metrics.Handler())
	if rt.Public != nil {
		rt.Public(r)
	}
	r.Group(func(r chi.Router) {
		r.Use(rt.Verifier.Middleware)
		rt.Verified(r)
	})
	return iamhttp.Standard(r, log)
}
