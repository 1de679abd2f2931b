package tasks_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/internal/tasks"
)

func TestPruneProcessedEventsDeletesOnlyOldRows(t *testing.T) {
	pool := iamtest.Postgres(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := iampg.MigrateShared(ctx, pool); err != nil {
		t.Fatal(err)
	}
	_, err := pool.Exec(ctx, `INSERT INTO processed_events (consumer, event_id, processed_at) VALUES
		('c', '0190a6c4-7b8a-7cde-8f00-000000000001', now() - interval '2 hours'),
		('c', '0190a6c4-7b8a-7cde-8f00-000000000002', now())`)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		done <- tasks.PruneProcessedEvents(pool, 10*time.Millisecond, time.Hour, slog.New(slog.DiscardHandler))(ctx)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var old, recent int
		if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE processed_at < now() - interval '1 hour'),
			count(*) FILTER (WHERE processed_at >= now() - interval '1 hour') FROM processed_events`).Scan(&old, &recent); err != nil {
			t.Fatal(err)
		}
		if recent != 1 {
			t.Fatalf("a recent row was pruned (%d left)", recent)
		}
		if old == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the old row was never pruned")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("task returned %v, want context.Canceled", err)
	}
}
