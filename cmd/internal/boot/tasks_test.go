package boot_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opengate-iam/opengate/cmd/internal/boot"
)

func TestGroup(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	g := boot.NewGroup(context.Background(), log)
	failed := make(chan struct{})
	var stopped atomic.Int32
	g.Go("failing", func(context.Context) error {
		defer close(failed)
		return errors.New("boom")
	})
	g.Go("until stopped", func(ctx context.Context) error {
		<-ctx.Done()
		stopped.Add(1)
		return ctx.Err()
	})
	g.Go("clean", func(context.Context) error { return nil })
	<-failed
	g.Stop()
	if stopped.Load() != 1 {
		t.Fatal("Stop returned before the task that waits for its context")
	}
	g.Stop() // a second Stop is harmless
	out := logs.String()
	if strings.Count(out, "background task stopped") != 1 ||
		!strings.Contains(out, `"task":"failing"`) || !strings.Contains(out, `"error":"boom"`) {
		t.Fatalf("want exactly the failing task logged, got %s", out)
	}
}

func TestGroupEndsWithItsParent(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	g := boot.NewGroup(ctx, slog.New(slog.DiscardHandler))
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
