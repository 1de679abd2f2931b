package iammetrics

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// collectTimeout bounds what a scrape waits for the databases and brokers.
const collectTimeout = 3 * time.Second

// Outboxes are the metrics of the transactional outboxes and their relays,
// by database: a prometheus.Collector to register beside a listener's
// (routing.Routes.Collectors).
//
//	opengate_outbox_unsent_events{database}            events waiting to be published (gauge)
//	opengate_outbox_oldest_unsent_age_seconds{database} age of the oldest of them, 0 when none (gauge)
//	opengate_outbox_published_events_total{database}   events published and marked sent
//	opengate_outbox_publish_failures_total{database}   batches the bus refused or did not acknowledge
//
// The gauges are read from each database at scrape time (Watch); a
// database that does not answer within three seconds is left out of that
// scrape.
type Outboxes struct {
	published *prometheus.CounterVec
	failures  *prometheus.CounterVec
	unsent    *prometheus.Desc
	age       *prometheus.Desc

	mu      sync.Mutex
	sources map[string]func(context.Context) (int64, time.Time, error)
}

var _ prometheus.Collector = (*Outboxes)(nil)

// NewOutboxes returns Outboxes with no database watched yet.
func NewOutboxes() *Outboxes {
	return &Outboxes{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opengate_outbox_published_events_total", Help: "Outbox events published and marked sent, by database.",
		}, []string{"database"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opengate_outbox_publish_failures_total", Help: "Outbox batches the event bus refused or did not acknowledge in time, by database; they are retried.",
		}, []string{"database"}),
		unsent: prometheus.NewDesc("opengate_outbox_unsent_events",
			"Outbox events waiting to be published, by database.", []string{"database"}, nil),
		age: prometheus.NewDesc("opengate_outbox_oldest_unsent_age_seconds",
			"Age of the oldest outbox event waiting to be published (0 when none), by database.", []string{"database"}, nil),
		sources: map[string]func(context.Context) (int64, time.Time, error){},
	}
}

// Watch reads database's outbox state with stats at every scrape: how many
// events wait, and when the oldest was written (zero when none).
func (o *Outboxes) Watch(database string, stats func(context.Context) (unsent int64, oldest time.Time, err error)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.sources[database] = stats
	o.published.WithLabelValues(database)
	o.failures.WithLabelValues(database)
}

// Relay returns the counters of database's relay, an iampg.RelayObserver.
func (o *Outboxes) Relay(database string) RelayCounters {
	return RelayCounters{published: o.published.WithLabelValues(database), failures: o.failures.WithLabelValues(database)}
}

// Describe is prometheus.Collector.
func (o *Outboxes) Describe(ch chan<- *prometheus.Desc) {
	o.published.Describe(ch)
	o.failures.Describe(ch)
	ch <- o.unsent
	ch <- o.age
}

// Collect is prometheus.Collector: the counters, and each watched
// database's state read now.
func (o *Outboxes) Collect(ch chan<- prometheus.Metric) {
	o.published.Collect(ch)
	o.failures.Collect(ch)
	o.mu.Lock()
	names := make([]string, 0, len(o.sources))
	for n := range o.sources {
		names = append(names, n)
	}
	sources := o.sources
	o.mu.Unlock()
	sort.Strings(names)
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	for _, n := range names {
		unsent, oldest, err := sources[n](ctx)
		if err != nil {
			continue
		}
		age := 0.0
		if !oldest.IsZero() {
			age = max(time.Since(oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(o.unsent, prometheus.GaugeValue, float64(unsent), n)
		ch <- prometheus.MustNewConstMetric(o.age, prometheus.GaugeValue, age, n)
	}
}

// RelayCounters count one database's relay: an iampg.RelayObserver.
type RelayCounters struct {
	published, failures prometheus.Counter
}

// Published counts n events published.
func (r RelayCounters) Published(n int) { r.published.Add(float64(n)) }

// PublishFailed counts a failed batch (of n events).
func (r RelayCounters) PublishFailed(int) { r.failures.Inc() }

// Consumers are the metrics of the event consumers: a prometheus.Collector.
//
//	opengate_events_handled_total{group,topic}        events a group's handler handled
//	opengate_events_dead_lettered_total{group,topic}  events a group gave up on (copied to <topic>.dlq)
//	opengate_consumer_lag_events{group,topic}         events of the topic the group has not committed (gauge)
//
// The lag is asked of the brokers at scrape time (the lag function,
// iamkafka.Subscriber.Lag): it is true even while a member is stuck or
// down. A scrape during which the brokers do not answer within three
// seconds has no lag series.
type Consumers struct {
	handled      *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	lagDesc      *prometheus.Desc
	lag          func(context.Context) (map[string]map[string]int64, error)
}

var _ prometheus.Collector = (*Consumers)(nil)

// NewConsumers returns Consumers whose lag comes from lag (nil: none).
func NewConsumers(lag func(context.Context) (map[string]map[string]int64, error)) *Consumers {
	return &Consumers{
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opengate_events_handled_total", Help: "Events a consumer group's handler handled, by group and topic.",
		}, []string{"group", "topic"}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "opengate_events_dead_lettered_total", Help: "Events a consumer group gave up on and copied to the topic's dead-letter topic, by group and topic.",
		}, []string{"group", "topic"}),
		lagDesc: prometheus.NewDesc("opengate_consumer_lag_events",
			"Events of a topic that a consumer group has not committed yet, by group and topic.", []string{"group", "topic"}, nil),
		lag: lag,
	}
}

// Handled counts n events of topic handled by group (iamkafka.Observer).
func (c *Consumers) Handled(group, topic string, n int) {
	c.handled.WithLabelValues(group, topic).Add(float64(n))
}

// DeadLettered counts an event of topic that group dead-lettered
// (iamkafka.Observer).
func (c *Consumers) DeadLettered(group, topic string) {
	c.deadLettered.WithLabelValues(group, topic).Inc()
}

// Describe is prometheus.Collector.
func (c *Consumers) Describe(ch chan<- *prometheus.Desc) {
	c.handled.Describe(ch)
	c.deadLettered.Describe(ch)
	ch <- c.lagDesc
}

// Collect is prometheus.Collector: the counters and the lag asked now.
func (c *Consumers) Collect(ch chan<- prometheus.Metric) {
	c.handled.Collect(ch)
	c.deadLettered.Collect(ch)
	if c.lag == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), collectTimeout)
	defer cancel()
	lags, err := c.lag(ctx)
	if err != nil {
		return
	}
	for group, topics := range lags {
		for topic, n := range topics {
			ch <- prometheus.MustNewConstMetric(c.lagDesc, prometheus.GaugeValue, float64(n), group, topic)
		}
	}
}
