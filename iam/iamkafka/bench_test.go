package iamkafka_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

func benchEvents(b *testing.B, n int) []iam.Event {
	b.Helper()
	events := make([]iam.Event, n)
	for i := range events {
		events[i] = event(b, "bench", fmt.Sprint("user-", i%64), i)
	}
	return events
}

// BenchmarkPublishLatency is one Publish of one event, acknowledged by a
// single kfake broker over loopback TCP: ns/op is the publish latency.
func BenchmarkPublishLatency(b *testing.B) {
	seeds := iamtest.Kafka(b, "bench")
	p := openPublisher(b, seeds)
	events := benchEvents(b, 256)
	ctx := context.Background()
	publish(b, p, events[0]) // connect, fetch metadata and a producer id
	b.ResetTimer()
	for i := range b.N {
		if err := p.Publish(ctx, events[i%len(events)]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublishThroughput publishes events in calls of batch events each,
// from several goroutines, and reports events/s.
func BenchmarkPublishThroughput(b *testing.B) {
	for _, batch := range []int{1, 100} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			seeds := iamtest.Kafka(b, "bench")
			p := openPublisher(b, seeds)
			events := benchEvents(b, batch)
			ctx := context.Background()
			publish(b, p, events[0])
			var total atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := p.Publish(ctx, events...); err != nil {
						b.Error(err)
						return
					}
					total.Add(int64(batch))
				}
			})
			b.ReportMetric(float64(total.Load())/time.Since(start).Seconds(), "events/s")
		})
	}
}

// BenchmarkPublishToHandled publishes b.N events and waits until one
// subscriber has handled them all; it reports events/s end to end.
func BenchmarkPublishToHandled(b *testing.B) {
	seeds := iamtest.Kafka(b, "bench")
	p := openPublisher(b, seeds)
	events := benchEvents(b, 100)
	var handled atomic.Int64
	done := make(chan struct{})
	target := int64(b.N)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sub := iamkafka.NewSubscriber(seeds, iamkafka.WithLogger(quiet()))
	errc := make(chan error, 1)
	go func() {
		errc <- sub.Subscribe(ctx, "bench", []string{"bench"}, func(context.Context, iam.Event) error {
			if handled.Add(1) == target {
				close(done)
			}
			return nil
		})
	}()
	b.ResetTimer()
	start := time.Now()
	for sent := 0; sent < b.N; sent += len(events) {
		n := min(len(events), b.N-sent)
		if err := p.Publish(ctx, events[:n]...); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		b.Fatalf("handled %d of %d events", handled.Load(), b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	b.StopTimer()
	cancel()
	<-errc
}
