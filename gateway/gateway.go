package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Verifier verifies a bearer token and returns its principal.
// (*authverify.Verifier).Verify is one. A refused token is
// iam.CodeUnauthenticated (401); a dependency that fails (keys, revocation
// list) iam.CodeUnavailable (503).
type Verifier interface {
	Verify(ctx context.Context, raw string) (*iam.Principal, error)
}

// Gateway is the single public entry point: it routes each request by its
// cleaned path to an upstream, behind a fixed chain of stages (see the
// package documentation for the order). It is an http.Handler, safe for
// concurrent use.
type Gateway struct {
	table      table
	log        *slog.Logger
	verifier   Verifier
	middleware []func(http.Handler) http.Handler
	policies   []policy
	trusted    []netip.Prefix
	cors       *corsPolicy
	rates      *rateLimits
	observer   Observer
	transport  http.RoundTripper
	timeouts   Timeouts
	handler    http.Handler
}

// Option configures a Gateway.
type Option func(*Gateway) error

// Timeouts bound the calls to proxied upstreams.
type Timeouts struct {
	// Connect bounds connecting to an upstream (default 5 s): an upstream
	// that cannot be reached is answered 502 after at most this long.
	Connect time.Duration
	// Response bounds the wait for an upstream's response headers once
	// the request is sent (default 30 s): a slower upstream is answered
	// 504.
	Response time.Duration
}

// Default timeouts.
const (
	DefaultConnectTimeout  = 5 * time.Second
	DefaultResponseTimeout = 30 * time.Second
)

// WithVerifier verifies the bearer tokens of Protected and Optional
// routes. Required when the table has such a route.
func WithVerifier(v Verifier) Option {
	return func(g *Gateway) error { g.verifier = v; return nil }
}

// WithMiddleware adds middleware between authentication and the upstream,
// in the order given (the first is the outermost). It sees the cleaned path
// in r.URL.Path, the verified principal in iam.PrincipalFrom(r.Context())
// (nil for anonymous requests), and RouteFrom, RealmFrom, ClientIP and
// RequestID. Calling it again appends.
func WithMiddleware(mw ...func(http.Handler) http.Handler) Option {
	return func(g *Gateway) error {
		for _, m := range mw {
			if m == nil {
				return iam.Invalidf("middleware", "gateway: nil middleware")
			}
		}
		g.middleware = append(g.middleware, mw...)
		return nil
	}
}

// WithLogger sets the logger of the request log and of upstream failures
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option {
	return func(g *Gateway) error { g.log = l; return nil }
}

// WithTrustedProxies lists the reverse proxies in front of the gateway whose
// X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host and Forwarded it
// believes. From any other peer those headers are ignored and replaced: the
// client is the connection's peer.
func WithTrustedProxies(prefixes ...netip.Prefix) Option {
	return func(g *Gateway) error { g.trusted = append(g.trusted, prefixes...); return nil }
}

// WithTimeouts sets the upstream timeouts; zero fields keep their defaults.
func WithTimeouts(t Timeouts) Option {
	return func(g *Gateway) error {
		if t.Connect < 0 || t.Response < 0 {
			return iam.Invalidf("timeouts", "gateway: timeouts must not be negative")
		}
		if t.Connect > 0 {
			g.timeouts.Connect = t.Connect
		}
		if t.Response > 0 {
			g.timeouts.Response = t.Response
		}
		return nil
	}
}

// WithTransport replaces the transport to proxied upstreams (default: a
// tuned http.Transport, see NewTransport). Timeouts then apply only through
// the transport given.
func WithTransport(rt http.RoundTripper) Option {
	return func(g *Gateway) error { g.transport = rt; return nil }
}

// WithObserver receives one observation per request (metrics; gatewayprom
// has the Prometheus one).
func WithObserver(o Observer) Option {
	return func(g *Gateway) error { g.observer = o; return nil }
}

// Observer observes each finished request: the route template that matched
// ("unmatched" when none did), its upstream's name ("" when none), the
// method, the status sent and the time taken.
type Observer interface {
	ObserveRequest(route, upstream, method string, status int, d time.Duration)
}

// New returns the gateway serving routes. Errors (CodeInvalid) name what is
// wrong: a malformed or duplicate template, a route without upstream, a
// Protected or Optional route without WithVerifier, a bad option.
func New(routes []Route, opts ...Option) (*Gateway, error) {
	g := &Gateway{
		log:      slog.Default(),
		timeouts: Timeouts{Connect: DefaultConnectTimeout, Response: DefaultResponseTimeout},
	}
	for _, o := range opts {
		if err := o(g); err != nil {
			return nil, err
		}
	}
	if g.transport == nil {
		g.transport = NewTransport(g.timeouts)
	}
	if g.cors == nil {
		g.cors, _ = newCORSPolicy(CORS{}) // no origin: cannot fail
	}
	g.cors.log = g.log
	proxies := map[*Upstream]http.Handler{}
	for _, rt := range routes {
		if err := g.addRoute(rt, proxies); err != nil {
			return nil, err
		}
	}
	g.handler = g.chain()
	return g, nil
}

func (g *Gateway) addRoute(rt Route, proxies map[*Upstream]http.Handler) error {
	up := rt.Upstream
	if up == nil || (up.URL == nil) == (up.Handler == nil) {
		return iam.Invalidf("upstream", "gateway: route %q needs an upstream with either a URL or a handler", rt.Path)
	}
	if rt.Access != Public && g.verifier == nil {
		return iam.Invalidf("verifier", "gateway: route %q is %s: WithVerifier is required", rt.Path, rt.Access)
	}
	if rt.Access < Protected || rt.Access > Optional || rt.Rate < RateDefault || rt.Rate > RateNone {
		return iam.Invalidf("route", "gateway: route %q has an unknown access or rate class", rt.Path)
	}
	c := &compiled{Route: rt, maxBody: rt.MaxBodyBytes}
	if c.maxBody == 0 {
		c.maxBody = DefaultMaxBodyBytes
	}
	serve, ok := proxies[up]
	if !ok {
		if up.Handler != nil {
			serve = g.local(up)
		} else {
			serve = g.proxy(up)
		}
		proxies[up] = serve
	}
	c.serve = serve
	return g.table.add(c)
}

// ServeHTTP serves r through the chain.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.handler.ServeHTTP(w, r) }

// chain assembles the stages, outermost first: request id (and trace
// context), request log and metrics, panic recovery, routing (cleaned path,
// route, realm, client address, body limit), CORS, rate limits,
// authentication and policies, the WithMiddleware middleware, the
// upstream.
func (g *Gateway) chain() http.Handler {
	var h http.Handler = http.HandlerFunc(dispatch)
	for i := len(g.middleware) - 1; i >= 0; i-- {
		h = g.middleware[i](h)
	}
	h = g.authenticate(h)
	h = g.rateLimit(h)
	h = g.corsStage(h)
	h = g.route(h)
	h = g.recover(h)
	h = g.logRequests(h)
	return g.identify(h)
}

// dispatch hands the request to its route's upstream.
func dispatch(w http.ResponseWriter, r *http.Request) {
	stateFrom(r.Context()).route.serve.ServeHTTP(w, r)
}

// route cleans the path and matches it: 400 for a path that cannot be
// cleaned safely, 404 when no route matches. It puts the cleaned path in
// r.URL.Path (what the later stages and the upstream see), notes the route,
// the path's realm and the client's address, and bounds the body.
func (g *Gateway) route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := stateFrom(r.Context())
		s.clientIP = clientIP(r, g.trusted)
		p, err := cleanPath(r.URL)
		if err != nil {
			g.fail(w, r, err)
			return
		}
		s.path = p
		c, realm := g.table.match(p)
		if c == nil {
			g.fail(w, r, iam.NotFoundf("no route for this path"))
			return
		}
		s.route = c
		if realm != "" {
			if parsed, err := iam.ParseRealm(realm); err == nil {
				s.realm = parsed
			}
		}
		if r.URL.Path != p || r.URL.RawPath != "" {
			u := *r.URL
			u.Path, u.RawPath = p, ""
			r2 := *r
			r2.URL = &u
			r = &r2
		}
		if c.maxBody > 0 && r.Body != nil && r.Body != http.NoBody {
			if r.ContentLength > c.maxBody {
				g.fail(w, r, &iam.Error{Code: iam.CodeTooLarge, Message: "request body is too large"})
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, c.maxBody)
		}
		next.ServeHTTP(w, r)
	})
}

// errAbort is http.ErrAbortHandler, which recovery passes on.
var errAbort = http.ErrAbortHandler

// recover turns a panic below into a 500 (code internal, no stack in the
// body; the stack is logged), except http.ErrAbortHandler, which aborts the
// response as net/http intends.
func (g *Gateway) recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, errAbort) {
				panic(v)
			}
			g.log.ErrorContext(r.Context(), "panic", slog.String("request_id", RequestID(r.Context())),
				slog.Any("panic", v), slog.String("stack", stack()))
			g.fail(w, r, &iam.Error{Code: iam.CodeInternal, Op: "gateway.panic"})
		}()
		next.ServeHTTP(w, r)
	})
}
