package tasks

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
)

// ProcessedRetention is how long processed_events rows are kept: far longer
// than any bus redelivers an event (Kafka keeps a week by default), so a late
// duplicate is still recognised. PruneEvery is how often they are pruned.
const (
	ProcessedRetention = 30 * 24 * time.Hour
	PruneEvery         = 6 * time.Hour
)

// PruneProcessedEvents returns a task that deletes pool's processed_events
// rows older than olderThan, now and then every interval, until ctx ends. A
// failed pass is logged, reported to ctx's iam.Readiness and retried at the
// next interval.
func PruneProcessedEvents(pool *pgxpool.Pool, every, olderThan time.Duration, log *slog.Logger) func(context.Context) error {
	return func(ctx context.Context) error {
		iam.ReportStarting(ctx)
		for {
			if n, err := iampg.PruneProcessed(ctx, pool, olderThan); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				log.Warn("pruning processed events failed", "error", err.Error())
				iam.ReportFailing(ctx, err)
			} else {
				iam.ReportReady(ctx)
				if n > 0 {
					log.Info("pruned processed events", "rows", n)
				}
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(every):
			}
		}
	}
}
