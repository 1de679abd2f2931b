package routing

import (
	"log/slog"
	"net/http"
	"net/netip"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

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
	// Verified mounts the routes behind Verifier.Middleware; nil for none.
	Verified func(chi.Router)
	// SeparateManagement keeps /metrics off the API: only the Management
	// handler serves it, on a listener of its own (OPENGATE_MANAGEMENT_ADDR,
	// like Keycloak's management port 9000), so that the public entry does
	// not expose the process's internals.
	SeparateManagement bool
	// Front, when set, serves the API listener in place of
	// iamhttp.Standard: New calls it once with the handler of the routes
	// above (health, readiness, metrics, public and verified routes,
	// counted by the request metrics) and serves what it returns — the
	// gateway chain (package gateway) in front of them, so the process
	// behaves as it does behind the gateway binary.
	Front func(routes http.Handler) http.Handler
	// Collectors are registered with the metrics registry (the gateway's
	// request metrics, gatewayprom).
	Collectors []prometheus.Collector
	// RelativePath (OPENGATE_HTTP_RELATIVE_PATH: "" or as "/auth", see
	// iamhttp.ParseRelativePath) is the public path of the API. A process
	// with a Front — the public entry point: the all-in-one, the gateway —
	// serves its API under it only (iamhttp.ServeUnder: 404 elsewhere,
	// /healthz, /readyz and /metrics excepted) and hands the routes the
	// paths without it; a service behind the gateway keeps its routes at
	// the root. Every process names it in the public URLs it makes
	// (iamhttp.BaseURL: absolute Location headers).
	RelativePath string
	// TrustedProxies (OPENGATE_TRUSTED_PROXIES) are the peers whose
	// X-Forwarded-Proto, X-Forwarded-Host and Forwarded headers name the
	// scheme and host of the public URLs (iamhttp.PublicBase): the gateway
	// for a service, the reverse proxies in front of an entry point.
	TrustedProxies []netip.Prefix
}

// Handlers is what an OpenGate process serves.
type Handlers struct {
	// API is the main listener's handler: GET /healthz and /readyz, the
	// public and verified routes, and GET /metrics unless
	// Routes.SeparateManagement.
	API http.Handler
	// Management is the management listener's handler: GET /healthz,
	// /readyz and /metrics, counting the API's requests.
	Management http.Handler
}

// New returns the API and management handlers of rt, sharing one metrics
// registry; both are wrapped in iamhttp.Standard (request id, request log to
// log, panic recovery).
func New(rt Routes, log *slog.Logger) Handlers {
	metrics := iammetrics.New(rt.Metrics)
	metrics.Registry.MustRegister(rt.Collectors...)
	api := chi.NewRouter()
	api.Use(metrics.Middleware)
	health(api, rt.Checks)
	if !rt.SeparateManagement {
		api.Method(http.MethodGet, "/metrics", metrics.Handler())
	}
	if rt.Public != nil {
		rt.Public(api)
	}
	if rt.Verified != nil {
		api.Group(func(r chi.Router) {
			r.Use(rt.Verifier.Middleware)
			rt.Verified(r)
		})
	}
	mgmt := chi.NewRouter()
	health(mgmt, rt.Checks)
	mgmt.Method(http.MethodGet, "/metrics", metrics.Handler())
	h := Handlers{API: iamhttp.Standard(api, log), Management: iamhttp.Standard(mgmt, log)}
	if rt.Front != nil {
		h.API = iamhttp.ServeUnder(rt.RelativePath, rt.Front(api))
	}
	h.API = iamhttp.PublicBase(rt.TrustedProxies, rt.RelativePath)(h.API)
	return h
}

func health(r chi.Router, checks map[string]iamhttp.Check) {
	r.Method(http.MethodGet, "/healthz", iamhttp.Healthz())
	r.Method(http.MethodGet, "/readyz", iamhttp.Readyz(checks))
}

// Router returns the API handler of New(rt, log): request metrics around
// everything; GET /healthz, /readyz (rt.Checks) and, unless
// rt.SeparateManagement, /metrics; the public routes; the verified routes.
func Router(rt Routes, log *slog.Logger) http.Handler { return New(rt, log).API }
