package iammetrics_test

import (
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/opengate-iam/opengate/iam/iammetrics"
)

// gather registers c on a pedantic registry (which checks descriptions and
// metrics against each other) and returns every sample as
// "name{label=value,...}" → value.
func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			out[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = value(m)
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	}
	return -1
}

func TestOutboxes(t *testing.T) {
	o := iammetrics.NewOutboxes()
	o.Watch("users", func(context.Context) (int64, time.Time, error) { return 3, time.Now().Add(-90 * time.Second), nil })
	o.Watch("rbac", func(context.Context) (int64, time.Time, error) { return 0, time.Time{}, nil })
	o.Watch("down", func(context.Context) (int64, time.Time, error) { return 0, time.Time{}, errors.New("no database") })
	o.Relay("users").Published(7)
	o.Relay("users").PublishFailed(7)
	o.Relay("users").PublishFailed(2)
	got := gather(t, o)
	for series, want := range map[string]float64{
		"opengate_outbox_published_events_total{database=users}":   7,
		"opengate_outbox_publish_failures_total{database=users}":   2,
		"opengate_outbox_publish_failures_total{database=rbac}":    0,
		"opengate_outbox_unsent_events{database=users}":            3,
		"opengate_outbox_unsent_events{database=rbac}":             0,
		"opengate_outbox_oldest_unsent_age_seconds{database=rbac}": 0,
	} {
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}
	if age := got["opengate_outbox_oldest_unsent_age_seconds{database=users}"]; age < 89 || age > 120 {
		t.Errorf("users' oldest unsent age = %v, want about 90 s", age)
	}
	if _, ok := got["opengate_outbox_unsent_events{database=down}"]; ok {
		t.Error("a database that did not answer has a backlog series")
	}
}

func TestConsumers(t *testing.T) {
	lagErr := error(nil)
	c := iammetrics.NewConsumers(func(context.Context) (map[string]map[string]int64, error) {
		return map[string]map[string]int64{"rbac": {"user.created": 12, "realm.created": 0}}, lagErr
	})
	c.Handled("rbac", "user.created", 5)
	c.DeadLettered("rbac", "user.created")
	got := gather(t, c)
	want := map[string]float64{
		"opengate_consumer_lag_events{group=rbac,topic=realm.created}":       0,
		"opengate_consumer_lag_events{group=rbac,topic=user.created}":        12,
		"opengate_events_dead_lettered_total{group=rbac,topic=user.created}": 1,
		"opengate_events_handled_total{group=rbac,topic=user.created}":       5,
	}
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", got, want)
	}
	for series, v := range want {
		if got[series] != v {
			t.Errorf("%s = %v, want %v", series, got[series], v)
		}
	}
	lagErr = errors.New("brokers down")
	for series := range gather(t, c) {
		if strings.HasPrefix(series, "opengate_consumer_lag_events") {
			t.Errorf("lag series %s while the brokers are down", series)
		}
	}
}
