package iamhttp

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// RequestIDHeader carries the request id in and out.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}
type loggerKey struct{}

// RequestID returns the request id of ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Logger returns the request-scoped logger of ctx (with the request id), or
// slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// WithRequestID accepts a well-formed incoming X-Request-Id (up to 128
// printable ASCII characters) or makes one, sets it on the response and in the
// context, and puts a well-formed incoming W3C traceparent in the context
// (iam.WithTraceParent), so the events the request records carry it.
func WithRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !ValidRequestID(id) {
			b := make([]byte, 12)
			_, _ = rand.Read(b)
			id = hex.EncodeToString(b)
		}
		w.Header().Set(RequestIDHeader, id)
		ctx := iam.WithTraceParent(context.WithValue(r.Context(), requestIDKey{}, id), r.Header.Get("traceparent"))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// WithRequestContext returns ctx carrying id and log as the request id and
// request-scoped logger RequestID and Logger return, for a front end that
// assigned them itself (the gateway, in front of in-process handlers)
// instead of running WithRequestID and LogRequests.
func WithRequestContext(ctx context.Context, id string, log *slog.Logger) context.Context {
	ctx = context.WithValue(ctx, requestIDKey{}, id)
	return context.WithValue(ctx, loggerKey{}, log)
}

// ValidRequestID reports whether id may be taken as a request id: 1 to 128
// printable ASCII characters, no space.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// statusRecorder remembers the status and size written.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// LogRequests logs one structured line per request with method, path (never
// the query string, which may hold secrets), status, size, duration and the
// request id, and puts a request-scoped logger in the context.
func LogRequests(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			l := log.With(slog.String("request_id", RequestID(r.Context())))
			rec := &statusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), loggerKey{}, l)))
			if rec.status == 0 {
				rec.status = http.StatusOK
			}
			l.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Int("bytes", rec.bytes),
				slog.Duration("duration", time.Since(start)),
				slog.String("remote", r.RemoteAddr))
		})
	}
}

// Recover turns a panic in next into a 500 with code "internal" and no stack
// in the body; the stack is logged.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			Logger(r.Context()).ErrorContext(r.Context(), "panic",
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			Error(w, r, &iam.Error{Code: iam.CodeInternal, Op: "http.panic"})
		}()
		next.ServeHTTP(w, r)
	})
}

// Chain applies middlewares so that the first is the outermost.
func Chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// StripTrailingSlash routes "/admin/realms/" as "/admin/realms", as Keycloak
// (JAX-RS) does: its admin client calls collection paths with a trailing
// slash.
func StripTrailingSlash(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; len(p) > 1 && strings.HasSuffix(p, "/") {
			u := *r.URL
			u.Path = strings.TrimRight(p, "/")
			if u.Path == "" {
				u.Path = "/"
			}
			u.RawPath = ""
			r2 := r.Clone(r.Context())
			r2.URL = &u
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

// Standard wraps h with the middlewares every OpenGate listener uses, outermost
// first: request id, request log, panic recovery, deadlines
// (DefaultRequestTimeout per request, DefaultCallTimeout per store call),
// trailing-slash stripping.
func Standard(h http.Handler, log *slog.Logger) http.Handler {
	return Chain(h, WithRequestID, LogRequests(log), Recover,
		Deadlines(DefaultRequestTimeout, DefaultCallTimeout), StripTrailingSlash)
}
