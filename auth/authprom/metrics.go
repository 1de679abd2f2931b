// Package authprom counts what auth does as Prometheus metrics without a
// realm label (10,000 realms must not mean 10,000 series):
//
//	opengate_token_requests_total{grant,result}
//	opengate_login_failures_total{reason}
//
// Register Metrics with the binary's registry and give it to auth.New with
// auth.WithMetrics:
//
//	m := authprom.New()
//	svc, err := auth.New(..., auth.WithMetrics(m))
//	registry.MustRegister(m)
package authprom

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/opengate-iam/opengate/auth"
)

// Metrics is auth.Metrics on Prometheus counters; it is a
// prometheus.Collector of them.
type Metrics struct {
	tokens   *prometheus.CounterVec
	failures *prometheus.CounterVec
}

var _ auth.Metrics = (*Metrics)(nil)

// New returns Metrics with no counts.
func New() *Metrics {
	return &Metrics{
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opengate_token_requests_total",
			Help: "Token endpoint requests by grant type and result (issued, an OAuth error code, or unavailable/internal).",
		}, []string{"grant", "result"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opengate_login_failures_total",
			Help: "Failed logins by reason (invalid_credentials, user_not_found, user_disabled, user_temporarily_disabled, ...).",
		}, []string{"reason"}),
	}
}

// TokenRequest counts a token request.
func (m *Metrics) TokenRequest(grant, result string) { m.tokens.WithLabelValues(grant, result).Inc() }

// LoginFailure counts a failed login.
func (m *Metrics) LoginFailure(reason string) { m.failures.WithLabelValues(reason).Inc() }

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.tokens.Describe(ch)
	m.failures.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.tokens.Collect(ch)
	m.failures.Collect(ch)
}
