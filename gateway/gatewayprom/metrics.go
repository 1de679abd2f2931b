// Package gatewayprom is the gateway's Prometheus metrics: requests and
// their latency by route template, upstream, method and status (never the
// raw path, so ids do not multiply the series).
//
//	m := gatewayprom.New()
//	registry.MustRegister(m)
//	gw, err := gateway.New(routes, gateway.WithObserver(m), ...)
package gatewayprom

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opengate-iam/opengate/gateway"
)

// Metrics is a gateway.Observer and a prometheus.Collector that records:
//
//	opengate_gateway_requests_total{route, upstream, method, status}
//	opengate_gateway_request_duration_seconds{route, upstream}   (histogram)
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

var (
	_ gateway.Observer     = (*Metrics)(nil)
	_ prometheus.Collector = (*Metrics)(nil)
)

// New returns the metrics; register them with a registry.
func New() *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opengate_gateway_requests_total",
			Help: "Requests through the gateway by route template, upstream, method and status.",
		}, []string{"route", "upstream", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "opengate_gateway_request_duration_seconds",
			Help:    "Latency of requests through the gateway (upstream included) by route template and upstream.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 14),
		}, []string{"route", "upstream"}),
	}
	return m
}

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.requests.Describe(ch)
	m.duration.Describe(ch)
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.requests.Collect(ch)
	m.duration.Collect(ch)
}

// ObserveRequest implements gateway.Observer. Methods other than the
// standard ones are counted as "other", so callers cannot add series.
func (m *Metrics) ObserveRequest(route, upstream, method string, status int, d time.Duration) {
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS":
	default:
		method = "other"
	}
	m.requests.WithLabelValues(route, upstream, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, upstream).Observe(d.Seconds())
}
