package gatewayredis_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/gateway/gatewayredis"
	"github.com/opengate-iam/opengate/gateway/gatewaytest"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func TestLimiter(t *testing.T) {
	gatewaytest.RunLimiter(t, func(t *testing.T) gateway.Limiter {
		rc, prefix := iamtest.Redis(t)
		return gatewayredis.New(rc, gatewayredis.WithPrefix(prefix))
	})
}

// A synchronised limiter alone is the exact limiter: the contract holds
// with no synchronisation at all (the loop never ticks during the test).
func TestSynchronisedLimiter(t *testing.T) {
	gatewaytest.RunLimiter(t, func(t *testing.T) gateway.Limiter {
		rc, prefix := iamtest.Redis(t)
		base := time.Now()
		l := gatewayredis.NewManual(rc, func() time.Duration { return time.Since(base) }, gatewayredis.WithPrefix(prefix))
		t.Cleanup(l.Close)
		return l
	})
}

func TestLimiterIsSharedByInstances(t *testing.T) {
	rc, prefix := iamtest.Redis(t)
	a, b := gatewayredis.New(rc, gatewayredis.WithPrefix(prefix)), gatewayredis.New(rc, gatewayredis.WithPrefix(prefix))
	bucket := []gateway.Bucket{{Key: "ip:192.0.2.1", Rate: gateway.Rate{Requests: 4, Per: time.Minute}}}
	allowed := 0
	for i := range 8 {
		l := a
		if i%2 == 1 {
			l = b
		}
		d, err := l.Take(context.Background(), bucket)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			allowed++
		}
	}
	if allowed != 4 {
		t.Fatalf("%d of 8 requests allowed across two limiters, want 4", allowed)
	}
}

func TestUnreachableRedisIsUnavailable(t *testing.T) {
	rc, _, proxy := iamtest.StallableRedis(t)
	proxy.Stall()
	l := gatewayredis.New(rc, gatewayredis.WithTimeout(100*time.Millisecond))
	_, err := l.Take(context.Background(), []gateway.Bucket{{Key: "ip:x", Rate: gateway.Rate{Requests: 1, Per: time.Second}}})
	if iam.ErrorCode(err) != iam.CodeUnavailable {
		t.Fatalf("Take on a stalled Redis = %v, want unavailable", err)
	}
}

// limitedGateway is a gateway whose public routes /realms/{realm}/* answer
// 204, rate limited by limiter; call sends it a request from one address.
func limitedGateway(t *testing.T, limits gateway.Limits, limiter gateway.Limiter) *gateway.Gateway {
	t.Helper()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	g, err := gateway.New([]gateway.Route{{Path: "/realms/{realm}/*", Upstream: gateway.Local("auth", ok), Access: gateway.Public}},
		gateway.WithRateLimits(limits, limiter), gateway.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func call(g *gateway.Gateway) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/realms/acme/protocol/openid-connect/certs", nil)
	r.RemoteAddr = "198.51.100.7:4242"
	rec := httptest.NewRecorder()
	g.ServeHTTP(rec, r)
	return rec
}

// Two gateways sharing one Redis share the limit: the third request from
// an address is refused whichever gateway it reaches.
func TestTwoGatewaysShareTheLimit(t *testing.T) {
	rc, prefix := iamtest.Redis(t)
	limits := gateway.Limits{PerIP: gateway.Rate{Requests: 2, Per: time.Minute}}
	var gws [2]*gateway.Gateway
	for i := range gws {
		gws[i] = limitedGateway(t, limits, gatewayredis.New(rc, gatewayredis.WithPrefix(prefix)))
	}
	if rec := call(gws[0]); rec.Code != 204 || rec.Header().Get("RateLimit-Remaining") != "1" {
		t.Fatalf("first, gateway 0: %d %v", rec.Code, rec.Header())
	}
	if rec := call(gws[1]); rec.Code != 204 || rec.Header().Get("RateLimit-Remaining") != "0" {
		t.Fatalf("second, gateway 1: %d %v", rec.Code, rec.Header())
	}
	for i, g := range gws {
		rec := call(g)
		retry, err := strconv.Atoi(rec.Header().Get("Retry-After"))
		if rec.Code != 429 || err != nil || retry < 1 || retry > 30 {
			t.Fatalf("third, gateway %d: %d, Retry-After %q", i, rec.Code, rec.Header().Get("Retry-After"))
		}
	}
}

// Two synchronised gateways on one Redis share the limit too: requests
// from one address alternate between them, each followed by a
// synchronisation of both. A gateway that has not seen the address yet
// admits it from a full bucket, so the limit (2) is exceeded by at most
// (N−1)·L = 2 requests; once each has synchronised after the other's
// requests, both refuse with Retry-After.
func TestTwoSynchronisedGatewaysShareTheLimit(t *testing.T) {
	rc, prefix := iamtest.Redis(t)
	limits := gateway.Limits{PerIP: gateway.Rate{Requests: 2, Per: time.Minute}}
	base := time.Now()
	var gws [2]*gateway.Gateway
	var limiters [2]*gatewayredis.Limiter
	for i := range gws {
		limiters[i] = gatewayredis.NewManual(rc, func() time.Duration { return time.Since(base) }, gatewayredis.WithPrefix(prefix))
		t.Cleanup(limiters[i].Close)
		gws[i] = limitedGateway(t, limits, limiters[i])
	}
	admitted, refusedInARow := 0, 0
	for i := 0; refusedInARow < 2; i++ {
		if i == 10 {
			t.Fatalf("%d requests admitted and the gateways still do not both refuse", admitted)
		}
		rec := call(gws[i%2])
		switch retry, err := strconv.Atoi(rec.Header().Get("Retry-After")); {
		case rec.Code == 204:
			admitted, refusedInARow = admitted+1, 0
		case rec.Code == 429 && err == nil && retry >= 1 && retry <= 60 && rec.Header().Get("RateLimit-Remaining") == "0":
			refusedInARow++
		default:
			t.Fatalf("request %d, gateway %d: %d %v", i+1, i%2, rec.Code, rec.Header())
		}
		for _, l := range limiters {
			if err := l.Sync(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if admitted < 2 || admitted > 4 {
		t.Fatalf("%d requests admitted across the two gateways, want from the limit (2) to the bound (4)", admitted)
	}
}

// A synchronised gateway answers as the exact limiter does: the binding
// bucket's RateLimit-* headers on every answer, 429 with Retry-After once
// it is exhausted, and the same after a synchronisation.
func TestSynchronisedRefusalHeaders(t *testing.T) {
	c := newClock(time.Hour)
	l := simulated(t, gatewayredis.NewFakeStore(c.now), c)
	g := limitedGateway(t, gateway.Limits{PerIP: gateway.Rate{Requests: 3, Per: time.Minute}}, l)
	want := func(step string, code int, remaining, reset, retry string) {
		t.Helper()
		rec := call(g)
		h := rec.Header()
		if rec.Code != code || h.Get("RateLimit-Limit") != "3" || h.Get("RateLimit-Remaining") != remaining ||
			h.Get("RateLimit-Reset") != reset || h.Get("Retry-After") != retry || h.Get("RateLimit-Policy") != "3;w=60" {
			t.Fatalf("%s: %d %v, want %d remaining %s reset %s Retry-After %q", step, rec.Code, h, code, remaining, reset, retry)
		}
	}
	want("first", 204, "2", "20", "")
	want("second", 204, "1", "40", "")
	want("third", 204, "0", "60", "")
	want("fourth", 429, "0", "60", "20")
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	want("fourth again, after a synchronisation", 429, "0", "60", "20")
	c.advance(20 * time.Second)
	want("20 s later", 204, "0", "60", "")
}

// When Redis does not answer, a synchronised limiter keeps admitting from
// memory — each replica enforcing the limits alone, so requests are never
// refused for Redis's sake — and logs one warning when synchronisation
// starts failing and at most one a minute while it keeps failing, and one
// line when it works again.
func TestSynchronisedLimiterFailsOpenWithoutALogFlood(t *testing.T) {
	rc, prefix, proxy := iamtest.StallableRedis(t)
	var logs bytes.Buffer
	c := newClock(time.Hour)
	l := gatewayredis.NewManual(rc, c.now, gatewayredis.WithPrefix(prefix), gatewayredis.WithTimeout(50*time.Millisecond),
		gatewayredis.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	t.Cleanup(l.Close)
	b := gateway.Bucket{Key: "ip:203.0.113.5", Rate: gateway.Rate{Requests: 3, Per: time.Minute}}
	proxy.Stall()
	for i := range 3 {
		if d := mustTake(t, l, b); !d.Allowed {
			t.Fatalf("request %d while Redis is silent: %+v", i+1, d)
		}
		if err := l.Sync(context.Background()); iam.ErrorCode(err) != iam.CodeUnavailable {
			t.Fatalf("Sync on a silent Redis = %v, want unavailable", err)
		}
	}
	if d := mustTake(t, l, b); d.Allowed {
		t.Fatalf("the fourth request while Redis is silent: %+v, want refused by this replica's own count", d)
	}
	for range 20 {
		c.advance(2 * time.Second)
		mustTake(t, l, b)
		_ = l.Sync(context.Background())
	}
	warnings := func() int { return strings.Count(logs.String(), "cannot be synchronised") }
	if n := warnings(); n != 1 {
		t.Fatalf("%d warnings over 23 failed synchronisations in 40 s, want 1:\n%s", n, logs.String())
	}
	c.advance(time.Minute)
	mustTake(t, l, b)
	_ = l.Sync(context.Background())
	if n := warnings(); n != 2 {
		t.Fatalf("%d warnings after a minute more, want 2:\n%s", n, logs.String())
	}
	proxy.Resume()
	// The connection first delivers what the stall held back, which may
	// take longer than the 50 ms timeout on a loaded machine.
	for i := 0; ; i++ {
		mustTake(t, l, b)
		err := l.Sync(context.Background())
		if err == nil {
			break
		}
		if i == 100 {
			t.Fatalf("Sync once Redis answers again: %v", err)
		}
	}
	if !strings.Contains(logs.String(), "synchronised with Redis again") || warnings() != 2 {
		t.Fatalf("logs after recovery:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), prefix) {
		t.Fatalf("the logs name Redis keys:\n%s", logs.String())
	}
}

// Close sends the counts not yet sent and stops the synchronisation loop:
// no goroutine of it is left.
func TestCloseStopsTheSynchronisationLoop(t *testing.T) {
	rc, prefix := iamtest.Redis(t)
	loops := func() int {
		buf := make([]byte, 1<<20)
		for runtime.Stack(buf, true) == len(buf) {
			buf = make([]byte, 2*len(buf))
		}
		return strings.Count(string(buf[:runtime.Stack(buf, true)]), "gatewayredis.(*Limiter).run(")
	}
	before := loops()
	l := gatewayredis.New(rc, gatewayredis.WithPrefix(prefix), gatewayredis.WithSync(time.Hour))
	// A goroutine shows in the dump once it has been scheduled.
	for i := 0; loops() != before+1; i++ {
		if i == 1000 {
			t.Fatalf("%d synchronisation loops running after New, want %d", loops(), before+1)
		}
		time.Sleep(time.Millisecond)
	}
	b := gateway.Bucket{Key: "ip:203.0.113.6", Rate: gateway.Rate{Requests: 2, Per: time.Minute}}
	mustTake(t, l, b)
	mustTake(t, l, b)
	l.Close()
	l.Close() // twice is fine
	if n := loops(); n != before {
		t.Fatalf("%d synchronisation loops running after Close, want %d", n, before)
	}
	exact := gatewayredis.New(rc, gatewayredis.WithPrefix(prefix))
	if d := mustTake(t, exact, b); d.Allowed {
		t.Fatalf("after Close, Redis has not got the closed limiter's 2 requests: %+v", d)
	}
}
