package authprom_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opengate-iam/opengate/auth/authprom"
)

// scrape returns the exposition of c's metrics whose names start with
// prefix, one series a line.
func scrape(t *testing.T, c prometheus.Collector, prefix string) []string {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	var out []string
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return out
}

func TestCountsByGrantResultAndReasonWithoutRealm(t *testing.T) {
	m := authprom.New()
	m.TokenRequest("password", "issued")
	m.TokenRequest("password", "issued")
	m.TokenRequest("password", "invalid_grant")
	m.LoginFailure("invalid_credentials")
	got := strings.Join(scrape(t, m, "opengate_"), "\n")
	want := strings.Join([]string{
		`opengate_login_failures_total{reason="invalid_credentials"} 1`,
		`opengate_token_requests_total{grant="password",result="invalid_grant"} 1`,
		`opengate_token_requests_total{grant="password",result="issued"} 2`,
	}, "\n")
	if got != want {
		t.Fatalf("metrics:\n%s\nwant:\n%s", got, want)
	}
}
