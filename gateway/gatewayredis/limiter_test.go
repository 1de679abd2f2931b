package gatewayredis_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
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

// Two gateways sharing one Redis share the limit: the third request from
// an address is refused whichever gateway it reaches.
func TestTwoGatewaysShareTheLimit(t *testing.T) {
	rc, prefix := iamtest.Redis(t)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	limits := gateway.Limits{PerIP: gateway.Rate{Requests: 2, Per: time.Minute}}
	var gws [2]*gateway.Gateway
	for i := range gws {
		g, err := gateway.New([]gateway.Route{{Path: "/realms/{realm}/*", Upstream: gateway.Local("auth", ok), Access: gateway.Public}},
			gateway.WithRateLimits(limits, gatewayredis.New(rc, gatewayredis.WithPrefix(prefix))),
			gateway.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		gws[i] = g
	}
	call := func(g *gateway.Gateway) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "/realms/acme/protocol/openid-connect/certs", nil)
		r.RemoteAddr = "198.51.100.7:4242"
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, r)
		return rec
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
