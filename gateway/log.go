package gateway

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamhttp"
)

// identify is the first stage: it gives the request its id — a well-formed
// incoming X-Request-Id (1 to 128 printable ASCII characters), else a new
// one — and its trace context (traceparent), sets X-Request-Id on the
// response, and puts the request's state in its context.
func (g *Gateway) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := &state{start: time.Now()}
		s.id = r.Header.Get(iamhttp.RequestIDHeader)
		if !iamhttp.ValidRequestID(s.id) {
			s.id = newRequestID()
		}
		s.trace = traceFrom(r.Header)
		w.Header().Set(iamhttp.RequestIDHeader, s.id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), stateKey{}, s)))
	})
}

const hexDigits = "0123456789abcdef"

// newRequestID returns 24 random hex digits. Request ids are labels, not
// secrets: math/rand/v2's per-goroutine ChaCha8 is enough and never blocks.
func newRequestID() string {
	var b [24]byte
	fillHex(b[:])
	return string(b[:])
}

// fillHex fills b with random hex digits.
func fillHex(b []byte) {
	for i := 0; i < len(b); i += 16 {
		v := rand.Uint64()
		for j := i; j < len(b) && j < i+16; j++ {
			b[j] = hexDigits[v&0xf]
			v >>= 4
		}
	}
}

// recorder remembers the status and size of the response.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rec *recorder) WriteHeader(code int) {
	if rec.status == 0 && code >= 200 {
		rec.status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(b)
	rec.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController (flushes of the reverse proxy) reach
// the connection's writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// logRequests logs one line per request — method, cleaned path (never the
// query string, which may hold codes or keys), route, upstream, status,
// bytes, duration, request id, trace id, client address, realm and the
// verified subject; never a header value, token or body — and hands the
// same facts to the Observer.
func (g *Gateway) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		s := stateFrom(r.Context())
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		d := time.Since(s.start)
		route, upstream := "unmatched", ""
		if s.route != nil {
			route, upstream = s.route.Path, s.route.Upstream.Name
		}
		if g.observer != nil {
			g.observer.ObserveRequest(route, upstream, r.Method, rec.status, d)
		}
		if !g.log.Enabled(r.Context(), slog.LevelInfo) {
			return
		}
		p := s.path
		if p == "" {
			p = r.URL.Path // not cleanable: logged as received, still without the query
		}
		var subject string
		if s.principal != nil {
			subject = s.principal.Subject
		}
		g.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", p),
			slog.String("route", route),
			slog.String("upstream", upstream),
			slog.Int("status", rec.status),
			slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", d),
			slog.String("request_id", s.id),
			slog.String("trace_id", s.trace.traceID()),
			slog.String("client", addrString(s.clientIP)),
			slog.String("realm", string(s.realm)),
			slog.String("subject", subject))
	})
}

func stack() string { return string(debug.Stack()) }

// fail answers err as OpenGate's JSON error, with the status of its code
// (iamhttp's table), as iamhttp.Error does, logging 5xx to the gateway's
// logger. A 401 without a challenge gets WWW-Authenticate: Bearer.
func (g *Gateway) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := iam.ErrorCode(err)
	status := iamhttp.Status(code)
	msg := iam.ErrorMessage(err)
	if status >= 500 {
		g.log.ErrorContext(r.Context(), "request failed", slog.String("request_id", RequestID(r.Context())),
			slog.String("code", string(code)), slog.String("error", err.Error()))
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", "Bearer")
	}
	iamhttp.SetRetryAfter(w, err)
	iamhttp.JSON(w, status, iamhttp.ErrorBody{Error: string(code), ErrorDescription: msg, ErrorMessage: msg, Field: iam.ErrorField(err)})
}
