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

	"github.com/opengate-iam/opengate/iam"
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

// waitCheck polls g.Check until ok(err) holds, failing the test after a
// hang guard (never what the test asserts).
func waitCheck(t *testing.T, g *tasks.Group, what string, ok func(error) bool) error {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := g.Check(context.Background())
		if ok(err) {
			return err
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: Check = %v", what, err)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func isNil(err error) bool { return err == nil }

func TestReadiness(t *testing.T) {
	newGroup := func(t *testing.T) *tasks.Group {
		g := tasks.NewGroup(context.Background(), slog.New(slog.DiscardHandler))
		g.SetBackoff(time.Millisecond, time.Millisecond)
		g.SetReadiness(20*time.Millisecond, 50*time.Millisecond)
		t.Cleanup(g.Stop)
		return g
	}
	t.Run("NotReadyUntilAReportingTaskIsUp", func(t *testing.T) {
		g := newGroup(t)
		up := make(chan struct{})
		g.Go("consumer", func(ctx context.Context) error {
			iam.ReportStarting(ctx)
			<-up
			iam.ReportReady(ctx)
			<-ctx.Done()
			return ctx.Err()
		})
		// Longer than the settle time of tasks that report nothing.
		time.Sleep(60 * time.Millisecond)
		if err := g.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "consumer: starting") {
			t.Fatalf("before the task is up: Check = %v, want consumer: starting", err)
		}
		close(up)
		waitCheck(t, g, "after the task is up", isNil)
	})
	t.Run("TaskThatReportsNothingIsUpOnceItRuns", func(t *testing.T) {
		g := newGroup(t)
		g.Go("pruning", func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })
		if err := g.Check(context.Background()); err == nil {
			t.Fatal("ready at once, before the task has run for the settle time")
		}
		waitCheck(t, g, "after settling", isNil)
	})
	t.Run("TaskThatKeepsFailingMakesTheGroupNotReady", func(t *testing.T) {
		g := newGroup(t)
		var failing atomic.Bool
		failing.Store(true)
		g.Go("relay", func(ctx context.Context) error {
			iam.ReportStarting(ctx)
			iam.ReportReady(ctx)
			for ctx.Err() == nil {
				if failing.Load() {
					iam.ReportFailing(ctx, errors.New("broker unreachable"))
				} else {
					iam.ReportReady(ctx)
				}
				time.Sleep(time.Millisecond)
			}
			return ctx.Err()
		})
		err := waitCheck(t, g, "while the relay fails", func(err error) bool { return err != nil && strings.Contains(err.Error(), "failing") })
		if !strings.Contains(err.Error(), "relay: failing for") || !strings.Contains(err.Error(), "broker unreachable") {
			t.Errorf("Check = %v, want the task, how long and its error", err)
		}
		failing.Store(false)
		waitCheck(t, g, "after the relay recovered", isNil)
	})
	t.Run("TaskThatReturnsErrorsKeepsTheGroupNotReady", func(t *testing.T) {
		g := newGroup(t)
		g.Go("consumer", func(ctx context.Context) error {
			iam.ReportStarting(ctx)
			return errors.New("cannot join")
		})
		err := waitCheck(t, g, "while the task fails", func(err error) bool { return err != nil && strings.Contains(err.Error(), "failing") })
		if !strings.Contains(err.Error(), "consumer: failing for ") || !strings.Contains(err.Error(), "cannot join") {
			t.Errorf("Check = %v, want the task, its restarts and its error", err)
		}
	})
	t.Run("DoneTasksDoNotCount", func(t *testing.T) {
		g := newGroup(t)
		g.Go("migration", func(ctx context.Context) error { iam.ReportStarting(ctx); return nil })
		waitCheck(t, g, "after the task returned nil", isNil)
	})
}
