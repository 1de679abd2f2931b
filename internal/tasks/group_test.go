package tasks_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/internal/tasks"
)

func TestGroup(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	g := tasks.NewGroup(context.Background(), log)
	g.SetBackoff(time.Millisecond, 4*time.Millisecond)
	recovered := make(chan struct{})
	var runs, stopped, cleanRuns atomic.Int32
	g.Go("failing twice", func(ctx context.Context) error {
		if runs.Add(1) <= 2 {
			return errors.New("boom")
		}
		close(recovered)
		<-ctx.Done()
		return ctx.Err()
	})
	g.Go("until stopped", func(ctx context.Context) error {
		<-ctx.Done()
		stopped.Add(1)
		return ctx.Err()
	})
	g.Go("clean", func(context.Context) error { cleanRuns.Add(1); return nil })
	<-recovered
	g.Stop()
	if stopped.Load() != 1 {
		t.Fatal("Stop returned before the task that waits for its context")
	}
	g.Stop() // a second Stop is harmless
	if runs.Load() != 3 || cleanRuns.Load() != 1 {
		t.Fatalf("runs: failing task %d (want 3: two failures, one restart that lasts), clean task %d (want 1)", runs.Load(), cleanRuns.Load())
	}
	out := logs.String()
	if strings.Count(out, "background task stopped") != 2 ||
		!strings.Contains(out, `"task":"failing twice"`) || !strings.Contains(out, `"error":"boom"`) {
		t.Fatalf("want the two failures logged, got %s", out)
	}
}

func TestGroupEndsWithItsParent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	g := tasks.NewGroup(ctx, slog.New(slog.DiscardHandler))
	ended := make(chan struct{})
	g.Go("until cancelled", func(ctx context.Context) error {
		<-ctx.Done()
		close(ended)
		return ctx.Err()
	})
	cancel()
	<-ended
	g.Stop()
}
