package usersprom_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opengate-iam/opengate/users/usersprom"
)

type load struct{ running, waiting, slots, queue int }

func (l *load) HashLoad() (int, int, int, int) { return l.running, l.waiting, l.slots, l.queue }

func TestHashQueueIsReadAtEachScrape(t *testing.T) {
	l := &load{running: 4, waiting: 3, slots: 4, queue: 32}
	reg := prometheus.NewRegistry()
	reg.MustRegister(usersprom.HashQueue(l))
	scrape := func() string {
		rec := httptest.NewRecorder()
		promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		return rec.Body.String()
	}
	first := scrape()
	l.waiting = 7
	second := scrape()
	for _, c := range []struct{ body, line string }{
		{first, "opengate_password_hash_queue_depth 3"},
		{second, "opengate_password_hash_queue_depth 7"},
		{second, "opengate_password_hashes_running 4"},
		{second, "opengate_password_hash_slots 4"},
		{second, "opengate_password_hash_queue_limit 32"},
	} {
		if !strings.Contains(c.body, c.line+"\n") {
			t.Fatalf("no %q in\n%s", c.line, c.body)
		}
	}
}
