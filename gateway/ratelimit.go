package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Rate is a limit of Requests per Per, enforced as a generic cell rate
// (GCRA): a client may use the whole allowance at once, then one request
// every Per/Requests. The zero Rate is no limit.
type Rate struct {
	Requests int
	Per      time.Duration
}

// IsZero reports whether r is no limit.
func (r Rate) IsZero() bool { return r.Requests <= 0 || r.Per <= 0 }

// String returns "600/1m0s", the form ParseRate reads, or "off".
func (r Rate) String() string {
	if r.IsZero() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", r.Requests, r.Per)
}

// ParseRate reads a Rate: "off" or "0" for none, else "{requests}/{period}"
// with a Go duration ("600/1m", "20/1s") or a unit alone ("600/m", "20/s",
// "10000/h"). The period is at least a second and at most a day; requests
// at most a million.
func ParseRate(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		return Rate{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	requests, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || requests <= 0 || requests > 1_000_000 {
		return Rate{}, iam.Invalidf("rate", "%q is not a rate (e.g. 600/1m, or off)", s)
	}
	per = strings.TrimSpace(per)
	switch per {
	case "s", "m", "h":
		per = "1" + per
	}
	d, err := time.ParseDuration(per)
	if err != nil || d < time.Second || d > 24*time.Hour {
		return Rate{}, iam.Invalidf("rate", "%q is not a rate: the period must be a duration from 1s to 24h", s)
	}
	return Rate{Requests: requests, Per: d}, nil
}

// Limits are the gateway's rate limits; a zero Rate is off.
type Limits struct {
	// PerIP counts every request of one client address.
	PerIP Rate
	// Login counts, per client address, the requests of RateLogin routes
	// (token, authorization and login endpoints), on top of PerIP.
	Login Rate
	// PerClient counts the requests of one client application of one
	// realm, named by the request: HTTP Basic credentials' user (the
	// client_id of client_secret_basic), a client_id query or form
	// parameter, or the azp claim of the bearer token. It is counted before
	// the token is verified, so a forged token naming a client counts
	// against that client — bounded by each address's PerIP limit.
	PerClient Rate
}

// DefaultLimits are the limits the binaries use unless configured: 1200 a
// minute per address, 300 a minute per address on login routes, 6000 a
// minute per realm and client.
func DefaultLimits() Limits {
	return Limits{
		PerIP:     Rate{Requests: 1200, Per: time.Minute},
		Login:     Rate{Requests: 300, Per: time.Minute},
		PerClient: Rate{Requests: 6000, Per: time.Minute},
	}
}

// Bucket is one counter a request takes from: its key (the gateway's keys
// start with "ip:", "login:" or "client:") and its rate.
type Bucket struct {
	Key  string
	Rate Rate
}

// Decision is a Limiter's answer for the bucket that binds the request:
// the one that refused it (the longest wait) or, when all allowed it, the
// one with the fewest requests left.
type Decision struct {
	Allowed bool
	// Limit is the bucket's Rate.Requests; Remaining how many more
	// requests it allows right now.
	Limit, Remaining int
	// ResetAfter is how long until the bucket is full again.
	ResetAfter time.Duration
	// RetryAfter, for a refusal, is how long until the request would be
	// allowed.
	RetryAfter time.Duration
}

// Limiter takes one request from several buckets atomically: either every
// bucket allows it and each counts it, or the request is refused and no
// bucket counts it. Implementations shared by gateway replicas (gatewayredis)
// make the limits hold across them; NewMemoryLimiter holds them in one
// process. gatewaytest.RunLimiter is the conformance suite.
type Limiter interface {
	Take(ctx context.Context, buckets []Bucket) (Decision, error)
}

// WithRateLimits limits requests with limiter (NewMemoryLimiter for one
// process, gatewayredis for replicas). A refused request is answered 429
// with Retry-After (seconds) and RateLimit-Limit, RateLimit-Remaining,
// RateLimit-Reset and RateLimit-Policy; allowed requests carry the
// RateLimit-* headers too. When the limiter fails (Redis down), requests
// pass and the failure is logged: rate limiting never takes the gateway
// down.
func WithRateLimits(l Limits, limiter Limiter) Option {
	return func(g *Gateway) error {
		if limiter == nil {
			return iam.Invalidf("limiter", "gateway: WithRateLimits needs a Limiter")
		}
		for _, r := range []Rate{l.PerIP, l.Login, l.PerClient} {
			if r.Requests < 0 || r.Per < 0 {
				return iam.Invalidf("rate", "gateway: rates must not be negative")
			}
		}
		g.rates = &rateLimits{limits: l, limiter: limiter}
		return nil
	}
}

type rateLimits struct {
	limits  Limits
	limiter Limiter

	mu       sync.Mutex
	lastWarn time.Time
}

// maxClientKey bounds the client id in a bucket key; longer ones are not
// counted per client (no client id is that long).
const maxClientKey = 255

// rateLimit takes the request from its buckets (one Limiter call, so one
// round trip to a shared store): 429 when a bucket refuses.
func (g *Gateway) rateLimit(next http.Handler) http.Handler {
	if g.rates == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := stateFrom(r.Context())
		if s.route.Rate == RateNone {
			next.ServeHTTP(w, r)
			return
		}
		l := g.rates.limits
		var arr [3]Bucket
		buckets := arr[:0]
		ip := limitAddr(s.clientIP)
		if !l.PerIP.IsZero() && ip != "" {
			buckets = append(buckets, Bucket{Key: "ip:" + ip, Rate: l.PerIP})
		}
		if s.route.Rate == RateLogin && !l.Login.IsZero() && ip != "" {
			buckets = append(buckets, Bucket{Key: "login:" + ip, Rate: l.Login})
		}
		if !l.PerClient.IsZero() && s.realm != "" {
			if client := requestClient(r, s.route.Rate == RateLogin); client != "" && len(client) <= maxClientKey {
				buckets = append(buckets, Bucket{Key: "client:" + string(s.realm) + ":" + client, Rate: l.PerClient})
			}
		}
		if len(buckets) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		d, err := g.rates.limiter.Take(r.Context(), buckets)
		if err != nil {
			g.rates.warn(g.log, r.Context(), err)
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
		h.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(d.ResetAfter)))
		h.Set("RateLimit-Policy", policyHeader(buckets))
		if !d.Allowed {
			retry := max(1, ceilSeconds(d.RetryAfter))
			h.Set("Retry-After", strconv.Itoa(retry))
			g.fail(w, r, iam.Errorf(iam.CodeRateLimited, "too many requests: retry in %d s", retry))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitAddr is the address part of a bucket key: an IPv4 address, or an
// IPv6 address's /64 (one subscriber's whole allocation, which one client
// can rotate through at will). "" for none.
func limitAddr(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return ""
	case a.Is4():
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// warn logs a limiter failure at most every ten seconds.
func (rl *rateLimits) warn(log *slog.Logger, ctx context.Context, err error) {
	rl.mu.Lock()
	if time.Since(rl.lastWarn) < 10*time.Second {
		rl.mu.Unlock()
		return
	}
	rl.lastWarn = time.Now()
	rl.mu.Unlock()
	log.WarnContext(ctx, "gateway: rate limiter unavailable; requests pass unlimited", slog.String("error", err.Error()))
}

func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}

// policyHeader describes the buckets as RateLimit-Policy does:
// "1200;w=60, 300;w=60".
func policyHeader(buckets []Bucket) string {
	var b strings.Builder
	for i, k := range buckets {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(k.Rate.Requests))
		b.WriteString(";w=")
		b.WriteString(strconv.Itoa(ceilSeconds(k.Rate.Per)))
	}
	return b.String()
}

// maxFormPeek bounds how much of a login route's form body is read to find
// its client_id.
const maxFormPeek = 16 << 10

// requestClient returns the client application the request names: HTTP
// Basic credentials' user (form-encoded, RFC 6749 §2.3.1), else a
// client_id query parameter, else (on login routes, for a small
// form-encoded body) a client_id form field, else the azp claim of the
// bearer token, unverified. "" when it names none. A body read here is put
// back for the upstream.
func requestClient(r *http.Request, login bool) string {
	if user, _, ok := r.BasicAuth(); ok {
		if u, err := url.QueryUnescape(user); err == nil {
			return u
		}
		return user
	}
	if r.URL.RawQuery != "" {
		if c := r.URL.Query().Get("client_id"); c != "" {
			return c
		}
	}
	if login && r.Method == http.MethodPost && r.ContentLength > 0 && r.ContentLength <= maxFormPeek &&
		strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "application/x-www-form-urlencoded") {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxFormPeek))
		r.Body = readCloser{Reader: io.MultiReader(bytes.NewReader(body), r.Body), Closer: r.Body}
		if err == nil {
			if form, err := url.ParseQuery(string(body)); err == nil && form.Get("client_id") != "" {
				return form.Get("client_id")
			}
		}
	}
	if raw := bearerToken(r); raw != "" {
		return unverifiedAZP(raw)
	}
	return ""
}

type readCloser struct {
	io.Reader
	io.Closer
}

// unverifiedAZP returns the azp claim of a JWT without verifying it (for
// rate-limit keys only), or "".
func unverifiedAZP(raw string) string {
	_, rest, ok := strings.Cut(raw, ".")
	payload, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || len(payload) > 16<<10 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return ""
	}
	var c struct {
		AZP string `json:"azp"`
	}
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	return c.AZP
}
