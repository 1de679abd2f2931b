package gateway_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/gateway"
)

// BenchmarkChain is the gateway chain's own cost per request, in process
// (no network): an in-process upstream that answers 200, behind the whole
// chain with an RS256 token verified and rate limits taken in memory,
// against the same upstream called directly; with the verified-token
// cache, the token's second and later uses skip the signature check.
//
//	go test ./gateway -run '^$' -bench BenchmarkChain -benchmem
func BenchmarkChain(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(upstreamBody) })
	limits := gateway.Limits{PerIP: gateway.Rate{Requests: 1_000_000, Per: time.Second},
		PerClient: gateway.Rate{Requests: 1_000_000, Per: time.Second}}
	route := []gateway.Route{{Path: "/admin/realms/{realm}/users/*", Upstream: gateway.Local("users", ok)}}
	quietLog := gateway.WithLogger(slog.New(slog.DiscardHandler))
	full, err := gateway.New(route, gateway.WithVerifier(newVerifier(b)), quietLog,
		gateway.WithRateLimits(limits, gateway.NewMemoryLimiter()))
	if err != nil {
		b.Fatal(err)
	}
	cached, err := gateway.New(route, gateway.WithVerifier(benchVerifier(b, authverify.WithTokenCache(0))), quietLog,
		gateway.WithRateLimits(limits, gateway.NewMemoryLimiter()))
	if err != nil {
		b.Fatal(err)
	}
	public, err := gateway.New([]gateway.Route{{Path: "/admin/realms/{realm}/users/*", Upstream: gateway.Local("users", ok), Access: gateway.Public}}, quietLog)
	if err != nil {
		b.Fatal(err)
	}
	tok := token("acme", "alice")
	for _, c := range []struct {
		name  string
		h     http.Handler
		token string
	}{{"upstream", ok, ""}, {"public-route", public, ""}, {"verified-and-limited", full, tok}, {"cache-verified-and-limited", cached, tok}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest("GET", "/admin/realms/acme/users/0190a6c4-7b8a-7cde-8f00-000000000001", nil)
				r.RemoteAddr = "192.0.2.10:1234"
				if c.token != "" {
					r.Header.Set("Authorization", "Bearer "+c.token)
				}
				rec := httptest.NewRecorder()
				c.h.ServeHTTP(rec, r)
				if rec.Code != 200 {
					b.Fatal(rec.Code)
				}
			}
		})
	}
}
