package gatewayprom_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/gateway/gatewayprom"
)

// series returns the registry's samples of name as "label=value,... count"
// (a histogram's count of observations), sorted.
func series(t *testing.T, reg *prometheus.Registry, name string) []string {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			n := m.GetCounter().GetValue()
			if h := m.GetHistogram(); h != nil {
				n = float64(h.GetSampleCount())
			}
			out = append(out, fmt.Sprintf("%s %g", strings.Join(labels, ","), n))
		}
	}
	slices.Sort(out)
	return out
}

func TestMetricsCountByRouteTemplate(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := gatewayprom.New()
	reg.MustRegister(m)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})
	g, err := gateway.New([]gateway.Route{{Path: "/realms/{realm}/*", Upstream: gateway.Local("auth", ok), Access: gateway.Public}},
		gateway.WithObserver(m))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/realms/a/x", "/realms/b/y", "/nowhere"} {
		g.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", p, nil))
	}
	g.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("BREW", "/realms/a/x", nil))
	want := []string{
		"method=GET,route=/realms/{realm}/*,status=200,upstream=auth 2",
		"method=GET,route=unmatched,status=404,upstream= 1",
		"method=other,route=/realms/{realm}/*,status=200,upstream=auth 1",
	}
	if got := series(t, reg, "opengate_gateway_requests_total"); !slices.Equal(got, want) {
		t.Fatalf("requests %q, want %q", got, want)
	}
	want = []string{"route=/realms/{realm}/*,upstream=auth 3", "route=unmatched,upstream= 1"}
	if got := series(t, reg, "opengate_gateway_request_duration_seconds"); !slices.Equal(got, want) {
		t.Fatalf("durations %q, want %q", got, want)
	}
}
