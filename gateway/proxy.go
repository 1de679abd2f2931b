package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// NewTransport returns the transport the gateway proxies with: kept-alive
// connection pools sized for a busy gateway, a connect timeout
// (t.Connect), a response-header timeout (t.Response), no proxy from the
// environment and no transparent compression (bodies pass through as the
// upstream encoded them).
func NewTransport(t Timeouts) *http.Transport {
	if t.Connect <= 0 {
		t.Connect = DefaultConnectTimeout
	}
	if t.Response <= 0 {
		t.Response = DefaultResponseTimeout
	}
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: t.Connect, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   t.Connect,
		ResponseHeaderTimeout: t.Response,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     true,
	}
}

// proxy returns the reverse proxy to up.URL. The upstream gets the cleaned
// path (up.URL's path prefixed), the query as sent, the caller's headers
// without hop-by-hop headers (httputil.ReverseProxy strips them both ways)
// and without the internal service token, the original Authorization
// header (services verify the token again), X-Request-Id, traceparent,
// and forwarded headers the gateway vouches for (forwardedHeaders).
func (g *Gateway) proxy(up *Upstream) http.Handler {
	target := up.URL
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			s := stateFrom(pr.In.Context())
			pr.Out.URL.Path, pr.Out.URL.RawPath = s.path, ""
			pr.SetURL(target)
			h := pr.Out.Header
			h.Del(iamhttp.ServiceTokenHeader)
			h.Set(iamhttp.RequestIDHeader, s.id)
			h.Set(headerTraceparent, s.trace.parent)
			if s.trace.state != "" {
				h.Set(headerTracestate, s.trace.state)
			} else {
				h.Del(headerTracestate)
			}
			forwardedHeaders(h, pr.In, g.trusted)
		},
		Transport:      g.transport,
		BufferPool:     bufferPool{},
		ModifyResponse: dropUpstreamCORS,
		ErrorHandler:   g.upstreamError(up.Name),
		ErrorLog:       nil,
	}
}

// dropUpstreamCORS removes CORS headers an upstream sent: the gateway
// alone answers for CORS, so a response never carries two policies.
func dropUpstreamCORS(resp *http.Response) error {
	for k := range resp.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			delete(resp.Header, k)
		}
	}
	return nil
}

// upstreamError answers a failed proxied call: 413 when the caller's body
// passed the route's limit, 504 (gateway_timeout) when the upstream did not
// answer in time, 502 (bad_gateway) when it could not be reached or broke
// the exchange. The body is OpenGate's JSON error naming the upstream,
// never the cause, which is logged.
func (g *Gateway) upstreamError(name string) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			g.fail(w, r, &iam.Error{Code: iam.CodeTooLarge, Message: "request body is too large"})
			return
		}
		status, code, msg := http.StatusBadGateway, "bad_gateway", "the "+name+" service is unavailable"
		if timedOut(err) {
			status, code, msg = http.StatusGatewayTimeout, "gateway_timeout", "the "+name+" service did not answer in time"
		}
		if r.Context().Err() == nil || status != http.StatusBadGateway {
			g.log.WarnContext(r.Context(), "upstream failed", slog.String("upstream", name),
				slog.String("request_id", RequestID(r.Context())), slog.Int("status", status), slog.String("error", err.Error()))
		}
		iamhttp.JSON(w, status, iamhttp.ErrorBody{Error: code, ErrorDescription: msg, ErrorMessage: msg})
	}
}

// timedOut reports whether err is the upstream taking too long once
// connected (response-header timeout, deadline); a connect timeout is the
// upstream being unreachable, not slow.
func timedOut(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// bufferPool recycles the reverse proxy's copy buffers.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (bufferPool) Get() []byte  { return *(buffers.Get().(*[]byte)) }
func (bufferPool) Put(b []byte) { buffers.Put(&b) }

// local returns up.Handler behind what a proxied service would have
// applied itself: the request id (X-Request-Id, the same id) and a
// request-scoped logger in the context, and the request deadlines of
// iamhttp.Standard. Forwarded headers are not added: the handler sees the
// connection as the gateway did.
func (g *Gateway) local(up *Upstream) http.Handler {
	h := iamhttp.Deadlines(iamhttp.DefaultRequestTimeout, iamhttp.DefaultCallTimeout)(up.Handler)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := stateFrom(r.Context())
		r.Header.Del(iamhttp.ServiceTokenHeader)
		r.Header.Set(iamhttp.RequestIDHeader, s.id)
		r.Header.Set(headerTraceparent, s.trace.parent)
		ctx := iamhttp.WithRequestContext(r.Context(), s.id, g.log.With(slog.String("request_id", s.id)))
		ctx = iam.WithTraceParent(ctx, s.trace.parent) // events recorded by the request carry it
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}
