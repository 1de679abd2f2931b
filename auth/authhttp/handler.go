package authhttp

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// Handler serves auth's HTTP API (see routes.go). It is safe for concurrent
// use.
type Handler struct {
	svc           *auth.Service
	clientIP      func(*http.Request) string
	authEndpoint  bool
	issParameter  bool
	admin         *iamhttp.AdminGuard
	browser       Browser
	router        chi.Router
	maxFormBytes  int64
	maxAgentBytes int
}

// Option configures a Handler.
type Option func(*Handler)

// WithClientIP sets how the caller's address (for brute-force counters and
// events) is read from a request. The default is the host of RemoteAddr;
// behind the gateway or a proxy use TrustForwardedFor.
func WithClientIP(fn func(*http.Request) string) Option {
	return func(h *Handler) { h.clientIP = fn }
}

// WithAuthorizationEndpoint advertises the authorization endpoint
// ({issuer}/protocol/openid-connect/auth), the code response type and the
// authorization_code grant in discovery, for deployments that mount the
// browser flow; withIss also advertises
// authorization_response_iss_parameter_supported.
func WithAuthorizationEndpoint(withIss bool) Option {
	return func(h *Handler) { h.authEndpoint, h.issParameter = true, withIss }
}

// Browser is the browser sign-in (*authui.Handler) as the Handler mounts
// it: its routes (the authorization endpoint, the login and account pages,
// GET and POST logout), and the back-channel logout it hands POSTs with a
// refresh token to.
type Browser interface {
	MountPublic(r chi.Router)
	SetBackchannelLogout(fn http.HandlerFunc)
}

// WithBrowser mounts the browser sign-in b with the public endpoints
// (MountPublic): b serves GET and POST logout, passing a client's POST
// with a refresh token back to this Handler's logout, and discovery
// advertises the authorization endpoint, response modes query and
// form_post, and authorization_response_iss_parameter_supported (RFC
// 9207).
func WithBrowser(b Browser) Option {
	return func(h *Handler) { h.browser, h.authEndpoint, h.issParameter = b, true, true }
}

// WithAdminGuard sets the guard of the admin routes (default: one that
// trusts the token's roles, iamhttp.NewAdminGuard(nil)). Give every handler
// of a deployment the same guard, with an iamhttp.Standing.
func WithAdminGuard(g *iamhttp.AdminGuard) Option {
	return func(h *Handler) { h.admin = g }
}

// NewHandler returns a Handler for svc.
func NewHandler(svc *auth.Service, opts ...Option) *Handler {
	h := &Handler{svc: svc, clientIP: RemoteIP, maxFormBytes: 64 << 10, maxAgentBytes: 256,
		admin: iamhttp.NewAdminGuard(nil)}
	for _, o := range opts {
		o(h)
	}
	if h.browser != nil {
		h.browser.SetBackchannelLogout(h.logout)
	}
	h.router = chi.NewRouter()
	h.MountPublic(h.router)
	h.Mount(h.router)
	return h
}

// ServeHTTP serves the routes of MountPublic and Mount (the admin routes
// answer 401 unless a token-verifying middleware sits in front).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.router.ServeHTTP(w, r) }

// RemoteIP returns the host part of r.RemoteAddr.
func RemoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// TrustForwardedFor returns a client-IP function for a Handler behind
// proxies: when the peer is in trusted, it walks X-Forwarded-For from the
// right and returns the first address not in trusted; otherwise (or when the
// header is absent or malformed) the peer's address.
func TrustForwardedFor(trusted ...netip.Prefix) func(*http.Request) string {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return func(r *http.Request) string {
		peer := RemoteIP(r)
		addr, err := netip.ParseAddr(peer)
		if err != nil || !isTrusted(addr) {
			return peer
		}
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				return peer
			}
			if !isTrusted(hop) {
				return hop.Unmap().String()
			}
		}
		return peer
	}
}

// userAgent returns the request's User-Agent, bounded.
func (h *Handler) userAgent(r *http.Request) string {
	ua := r.UserAgent()
	if len(ua) > h.maxAgentBytes {
		ua = ua[:h.maxAgentBytes]
	}
	return ua
}
