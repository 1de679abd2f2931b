package gateway_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/auth/authjwt"
	"github.com/opengate-iam/opengate/auth/authredis"
	"github.com/opengate-iam/opengate/auth/authverify"
	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/gateway/gatewayredis"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// BenchmarkGateway compares, on one machine and in one run, a client
// calling an upstream directly, through a bare httputil.ReverseProxy (with
// the gateway's transport), and through the gateway (an RS256 token
// verified, rate limits taken in memory — with the verified-token cache
// cmd/gateway uses, and without it —; with OPENGATE_TEST_REDIS_URL also the
// production configuration: limits in Redis, synchronised in the
// background, and the revocation list in Redis, read through client-side
// caching; for comparison the limits counted exactly, one round trip per
// request, and that with the revocation list read on every request), all
// over loopback TCP with kept-alive connections:
//
//	go test ./gateway -run '^$' -bench '^BenchmarkGateway$' -benchtime 1x
//
// The targets are measured in interleaved rounds (every round measures
// each target once), so a machine busy with other work slows them alike;
// each metric is the median over the rounds. Throughput: 64 concurrent
// clients, requests per second. Latency: one request at a time, p50 and p99
// in µs; "added" is the gateway's minus direct's and minus the bare
// proxy's.
// benchTarget is one way of reaching the upstream.
type benchTarget struct {
	name  string
	url   string
	token string
}

// upstreamBody is the upstream's answer: a small JSON document, as an
// admin API read.
var upstreamBody = []byte(`{"id":"0190a6c4-7b8a-7cde-8f00-000000000001","username":"alice","enabled":true}`)

func benchTargets(b *testing.B) []benchTarget {
	b.Helper()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(upstreamBody)
	}))
	b.Cleanup(upstream.Close)
	target, _ := url.Parse(upstream.URL)
	// The bare proxy gets the gateway's tuned transport: the comparison is
	// of the chain, not of connection pooling (the default transport keeps
	// two idle connections per host).
	bareProxy := httputil.NewSingleHostReverseProxy(target)
	bareProxy.Transport = gateway.NewTransport(gateway.Timeouts{})
	bare := httptest.NewServer(bareProxy)
	b.Cleanup(bare.Close)

	// Limits far above what a run sends: every request is counted, none
	// refused.
	limits := gateway.Limits{PerIP: gateway.Rate{Requests: 1_000_000, Per: time.Second},
		PerClient: gateway.Rate{Requests: 1_000_000, Per: time.Second}}
	tok := token("acme", "alice")
	targets := []benchTarget{
		{"direct", upstream.URL, ""},
		{"bare-proxy", bare.URL, ""},
		// As cmd/gateway verifies: a token presented again skips its
		// signature check (WithTokenCache), not its other checks.
		{"gateway", gatewayServer(b, upstream, benchVerifier(b, authverify.WithTokenCache(0)),
			gateway.WithRateLimits(limits, gateway.NewMemoryLimiter())), tok},
		// The worst case: every request's token verified in full, as if
		// each came with a token never seen before.
		{"gateway-nocache", gatewayServer(b, upstream, benchVerifier(b),
			gateway.WithRateLimits(limits, gateway.NewMemoryLimiter())), tok},
	}
	return append(targets, redisGateways(b, upstream, limits)...)
}

// gatewayServer serves a gateway whose protected route /admin/realms/{realm}/users/*
// goes to upstream.
func gatewayServer(b *testing.B, upstream *httptest.Server, v gateway.Verifier, opts ...gateway.Option) string {
	b.Helper()
	g, err := gateway.New([]gateway.Route{{Path: "/admin/realms/{realm}/users/*", Upstream: proxyTo(b, "users", upstream)}},
		append([]gateway.Option{gateway.WithVerifier(v), gateway.WithLogger(slog.New(slog.DiscardHandler))}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(g)
	b.Cleanup(srv.Close)
	return srv.URL
}

// redisGateways are the production configuration, as cmd/gateway runs
// it: rate limits in Redis, synchronised every
// gatewayredis.DefaultSyncInterval (admitted from memory; no round trip on
// the request's path), and every token checked against auth's revocation
// list in Redis through rueidis client-side caching
// (authredis.CachedRevocations: answered from memory until Redis pushes an
// invalidation) — "gateway-redis" —; the same with the limits counted
// exactly (OPENGATE_RATE_LIMIT_SYNC=exact: one round trip per request) —
// "gateway-redis-exact" —; and that with the revocation list read on
// every request, as before its cache (auth.Revocations: a second round
// trip) — "gateway-redis-uncached". It needs OPENGATE_TEST_REDIS_URL;
// without it they are left out.
func redisGateways(b *testing.B, upstream *httptest.Server, limits gateway.Limits) []benchTarget {
	b.Helper()
	if os.Getenv("OPENGATE_TEST_REDIS_URL") == "" {
		return nil
	}
	rc, prefix := iamtest.Redis(b)
	cc, _ := iamtest.CachingRedis(b)
	tokens := authredis.New(rc, authredis.WithPrefix(prefix))
	if err := tokens.EnsureEpoch(context.Background(), "acme"); err != nil {
		b.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // a token issued in the epoch's own second could be refused
	cached := benchVerifier(b, authverify.WithRevocationChecker(authredis.New(cc, authredis.WithPrefix(prefix)).CachedRevocations(0)),
		authverify.WithTokenCache(0))
	uncached := benchVerifier(b, authverify.WithRevocationChecker(auth.Revocations{Store: tokens}), authverify.WithTokenCache(0))
	synced := gatewayredis.New(rc, gatewayredis.WithPrefix(prefix+"rl:"), gatewayredis.WithSync(gatewayredis.DefaultSyncInterval))
	b.Cleanup(synced.Close)
	exact := gatewayredis.New(rc, gatewayredis.WithPrefix(prefix+"rl:"))
	return []benchTarget{
		{"gateway-redis", gatewayServer(b, upstream, cached, gateway.WithRateLimits(limits, synced)), token("acme", "alice")},
		{"gateway-redis-exact", gatewayServer(b, upstream, cached, gateway.WithRateLimits(limits, exact)), token("acme", "alice")},
		{"gateway-redis-uncached", gatewayServer(b, upstream, uncached, gateway.WithRateLimits(limits, exact)), token("acme", "alice")},
	}
}

// benchVerifier is the test verifier (realm acme, RS256 key k1) with opts.
func benchVerifier(b *testing.B, opts ...authverify.Option) *authverify.Verifier {
	b.Helper()
	keys := authverify.StaticKeys{"acme": authverify.NewKeySet(realmIDOf("acme"),
		authjwt.Key{ID: "k1", Algorithm: "RS256", Public: &testKey().PublicKey})}
	v, err := authverify.New(context.Background(), issuerBase, append([]authverify.Option{authverify.WithKeySource(keys)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return v
}

// benchClient keeps enough idle connections for every parallel client.
func benchClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, DisableCompression: true}}
}

// call sends one GET and reads the whole answer.
func call(b *testing.B, c *http.Client, t benchTarget) {
	req, _ := http.NewRequest("GET", t.url+"/admin/realms/acme/users/0190a6c4-7b8a-7cde-8f00-000000000001", nil)
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
	}
	resp, err := c.Do(req)
	if err != nil {
		b.Error(err) // from many goroutines: Fatal would only stop this one
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Errorf("%s: status %d", t.name, resp.StatusCode)
	}
}

const (
	benchRounds     = 7
	benchParallel   = 64
	benchRequests   = 2000 // per target and round, parallel
	benchSequential = 400  // per target and round, one at a time
)

func BenchmarkGateway(b *testing.B) {
	targets := benchTargets(b)
	c := benchClient()
	rates := make([][]float64, len(targets))
	lat := make([][]time.Duration, len(targets))
	for _, t := range targets {
		call(b, c, t) // warm the connections and the key cache
	}
	for range b.N {
		for range benchRounds {
			for i, t := range targets {
				rates[i] = append(rates[i], throughput(b, c, t))
				for range benchSequential {
					start := time.Now()
					call(b, c, t)
					lat[i] = append(lat[i], time.Since(start))
				}
			}
		}
	}
	p := make([][2]float64, len(targets))
	for i, t := range targets {
		slices.Sort(rates[i])
		slices.Sort(lat[i])
		p[i] = [2]float64{micros(lat[i][len(lat[i])/2]), micros(lat[i][len(lat[i])*99/100])}
		b.ReportMetric(rates[i][len(rates[i])/2], t.name+"-req/s")
		b.ReportMetric(p[i][0], t.name+"-p50-µs")
		b.ReportMetric(p[i][1], t.name+"-p99-µs")
	}
	// targets[0] is direct, [1] the bare proxy; the rest are gateways.
	for i := 2; i < len(targets); i++ {
		name := targets[i].name
		b.ReportMetric(100*rates[i][len(rates[i])/2]/rates[1][len(rates[1])/2], name+"-%-of-bare-req/s")
		b.ReportMetric(p[i][0]-p[0][0], name+"-added-p50-µs-vs-direct")
		b.ReportMetric(p[i][1]-p[0][1], name+"-added-p99-µs-vs-direct")
		b.ReportMetric(p[i][0]-p[1][0], name+"-added-p50-µs-vs-bare")
		b.ReportMetric(p[i][1]-p[1][1], name+"-added-p99-µs-vs-bare")
	}
}

func micros(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }

// throughput sends benchRequests requests from benchParallel clients and
// returns the requests per second.
func throughput(b *testing.B, c *http.Client, t benchTarget) float64 {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range benchParallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= benchRequests {
				call(b, c, t)
			}
		}()
	}
	wg.Wait()
	return benchRequests / time.Since(start).Seconds()
}
