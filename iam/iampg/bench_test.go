package iampg_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// BenchmarkRelayToKafka measures the relay draining a backlog of b.N outbox
// rows into a Kafka-protocol broker (kfake over loopback TCP) through
// iamkafka's publisher: claim, publish with acks, mark sent, commit.
func BenchmarkRelayToKafka(b *testing.B) {
	for _, batch := range []int{100, 500} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			pool := migratedPool(b)
			seeds := iamtest.Kafka(b, iam.TopicUserCreated)
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			kafka, err := iamkafka.OpenPublisher(seeds, iamkafka.WithLogger(quiet))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { kafka.Close() })

			var published atomic.Int64
			done := make(chan struct{})
			counting := iam.PublisherFunc(func(ctx context.Context, events ...iam.Event) error {
				if err := kafka.Publish(ctx, events...); err != nil {
					return err
				}
				if published.Add(int64(len(events))) == int64(b.N) {
					close(done)
				}
				return nil
			})

			// The backlog, written before the clock starts.
			for written := 0; written < b.N; {
				n := min(1000, b.N-written)
				events := make([]iam.Event, n)
				for i := range events {
					events[i] = newEvent(b, fmt.Sprintf("user-%d", (written+i)%1000), map[string]int{"n": written + i})
				}
				write(b, pool, events...)
				written += n
			}

			b.ResetTimer()
			relayCtx, stop := context.WithCancel(ctx)
			finished := make(chan error, 1)
			go func() {
				finished <- iampg.NewRelay(pool, counting, iampg.WithBatchSize(batch), iampg.WithLogger(quiet)).Run(relayCtx)
			}()
			<-done
			b.StopTimer()
			stop()
			<-finished
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkWrite measures a producer's cost: one transaction per event, as
// a request handler writes its change and its event.
func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	pool := migratedPool(b)
	events := make([]iam.Event, b.N)
	for i := range events {
		events[i] = newEvent(b, fmt.Sprintf("user-%d", i), map[string]int{"n": i})
	}
	b.ResetTimer()
	for i := range b.N {
		err := iampg.WithTx(ctx, pool, func(tx pgx.Tx) error {
			return iampg.Write(ctx, tx, events[i])
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
