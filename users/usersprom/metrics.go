// Package usersprom reports the password hashing of a users.Service as
// Prometheus gauges, read at each scrape:
//
//	registry.MustRegister(usersprom.HashQueue(usersService))
package usersprom

import (
	"github.com/prometheus/client_golang/prometheus"
)

// HashLoader reports a process's password hashing; users.Service is one.
type HashLoader interface {
	HashLoad() (running, waiting, slots, queue int)
}

// HashQueue returns gauges read from h at each scrape:
// opengate_password_hashes_running, opengate_password_hash_queue_depth
// (callers waiting for a hashing slot), opengate_password_hash_slots and
// opengate_password_hash_queue_limit.
func HashQueue(h HashLoader) prometheus.Collector {
	return hashQueue{h}
}

type hashQueue struct{ h HashLoader }

var (
	descRunning = prometheus.NewDesc("opengate_password_hashes_running", "Password hashes and verifications running now.", nil, nil)
	descWaiting = prometheus.NewDesc("opengate_password_hash_queue_depth", "Callers waiting for a password hashing slot now.", nil, nil)
	descSlots   = prometheus.NewDesc("opengate_password_hash_slots", "Password hashes that may run at once.", nil, nil)
	descQueue   = prometheus.NewDesc("opengate_password_hash_queue_limit", "Callers that may wait for a hashing slot; the next is answered 503.", nil, nil)
)

func (q hashQueue) Describe(ch chan<- *prometheus.Desc) {
	ch <- descRunning
	ch <- descWaiting
	ch <- descSlots
	ch <- descQueue
}

func (q hashQueue) Collect(ch chan<- prometheus.Metric) {
	running, waiting, slots, queue := q.h.HashLoad()
	ch <- prometheus.MustNewConstMetric(descRunning, prometheus.GaugeValue, float64(running))
	ch <- prometheus.MustNewConstMetric(descWaiting, prometheus.GaugeValue, float64(waiting))
	ch <- prometheus.MustNewConstMetric(descSlots, prometheus.GaugeValue, float64(slots))
	ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(queue))
}
