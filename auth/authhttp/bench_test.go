package authhttp_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Benchmarks over HTTP on loopback: a real listener and a keep-alive client
// in the same process, so cpu-ns/op counts the client's work as well as the
// server's (an upper bound of the server's CPU per request). Run on one
// core to read ops/cpu-s as requests per second per core:
//
//	go test ./auth/authhttp -run '^$' -bench . -cpu 1 -benchmem

type cpuMeter struct{ start time.Duration }

func startCPU() cpuMeter { return cpuMeter{start: processCPU()} }

func (m cpuMeter) report(b *testing.B) {
	used := processCPU() - m.start
	if used <= 0 || b.N == 0 {
		return
	}
	perOp := float64(used.Nanoseconds()) / float64(b.N)
	b.ReportMetric(perOp, "cpu-ns/op")
	b.ReportMetric(1e9/perOp, "ops/cpu-s")
}

// postForm sends one form with basic auth and fails on a non-200 answer.
func postForm(b *testing.B, client *http.Client, u, body, user, pass string) {
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

func BenchmarkClientCredentialsHTTP(b *testing.B) {
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		b.Run(alg, func(b *testing.B) {
			s := newServer(b, alg)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			u := s.oidc("acme", "/token")
			body := url.Values{"grant_type": {"client_credentials"}}.Encode()
			postForm(b, client, u, body, "svc", "svc-secret") // creates the realm's key
			b.ReportAllocs()
			cpu := startCPU()
			for b.Loop() {
				postForm(b, client, u, body, "svc", "svc-secret")
			}
			cpu.report(b)
		})
	}
}

func BenchmarkIntrospectHTTP(b *testing.B) {
	s := newServer(b, "RS256")
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	tok := s.post(s.oidc("acme", "/token"), url.Values{"grant_type": {"client_credentials"}}, "svc", "svc-secret").str("access_token")
	body := url.Values{"token": {tok}}.Encode()
	u := s.oidc("acme", "/token/introspect")
	b.ReportAllocs()
	cpu := startCPU()
	for b.Loop() {
		postForm(b, client, u, body, "svc", "svc-secret")
	}
	cpu.report(b)
}
