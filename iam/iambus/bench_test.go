package iambus_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iambus"
)

// BenchmarkPublishToHandled measures events per second from Publish to the
// handler's return, for one group with one or several consumers.
func BenchmarkPublishToHandled(b *testing.B) {
	for _, consumers := range []int{1, 4} {
		b.Run(fmt.Sprintf("consumers=%d", consumers), func(b *testing.B) {
			bus := iambus.New(iambus.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
			defer bus.Close()
			events := make([]iam.Event, 256)
			for i := range events {
				e, err := iam.NewEvent("/bench", "t", "acme", fmt.Sprint("user-", i%64), map[string]int{"n": i})
				if err != nil {
					b.Fatal(err)
				}
				events[i] = e
			}
			if err := bus.Declare("g", "t"); err != nil {
				b.Fatal(err)
			}
			var handled atomic.Int64
			done := make(chan struct{})
			target := int64(b.N)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			for range consumers {
				go bus.Subscribe(ctx, "g", []string{"t"}, func(context.Context, iam.Event) error {
					if handled.Add(1) == target {
						close(done)
					}
					return nil
				})
			}
			b.ResetTimer()
			start := time.Now()
			for i := range b.N {
				if err := bus.Publish(ctx, events[i%len(events)]); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}
