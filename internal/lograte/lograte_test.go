package lograte_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/internal/lograte"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func lines(b *bytes.Buffer) []string {
	return strings.FieldsFunc(b.String(), func(r rune) bool { return r == '\n' })
}
func newLimiter(c *clock) *lograte.Limiter {
	l := lograte.New(time.Second, 8*time.Second)
	l.SetClock(c.now)
	return l
}
func newLog() (*slog.Logger, *bytes.Buffer) {
	var b bytes.Buffer
	return slog.New(slog.NewTextHandler(&b, nil)), &b
}

func TestLimiter(t *testing.T) {
	ctx := context.Background()
	t.Run("RepeatsAreLoggedOncePerDoublingIntervalWithACount", func(t *testing.T) {
		c := &clock{t: time.Unix(0, 0)}
		l, log := newLimiter(c), func() (*slog.Logger, *bytes.Buffer) { return newLog() }
		lg, buf := log()
		// One failure every 100 ms for 30 s.
		for range 300 {
			l.Log(ctx, lg, slog.LevelWarn, "k", "fetch failed")
			c.advance(100 * time.Millisecond)
		}
		got := lines(buf)
		// At 0, 1, 3, 7, 15, 23 s (the interval stops doubling at 8 s).
		if len(got) != 6 {
			t.Fatalf("%d lines, want 6:\n%s", len(got), buf)
		}
		if strings.Contains(got[0], "repeated") || !strings.Contains(got[1], "repeated=9") || !strings.Contains(got[2], "repeated=19") {
			t.Errorf("counts: %q", got[:3])
		}
	})
	t.Run("DistinctFailuresAreLoggedSeparately", func(t *testing.T) {
		c := &clock{t: time.Unix(0, 0)}
		l := newLimiter(c)
		lg, buf := newLog()
		l.Log(ctx, lg, slog.LevelWarn, "a", "a failed")
		l.Log(ctx, lg, slog.LevelWarn, "b", "b failed")
		l.Log(ctx, lg, slog.LevelWarn, "a", "a failed")
		if got := lines(buf); len(got) != 2 {
			t.Fatalf("lines %q, want a and b once each", got)
		}
	})
	t.Run("ResetLogsTheRecoveryAndStartsOver", func(t *testing.T) {
		c := &clock{t: time.Unix(0, 0)}
		l := newLimiter(c)
		lg, buf := newLog()
		l.Log(ctx, lg, slog.LevelWarn, "k", "fetch failed")
		l.Log(ctx, lg, slog.LevelWarn, "k", "fetch failed")
		l.Reset(ctx, lg, "k", "fetch recovered")
		l.Reset(ctx, lg, "k", "fetch recovered") // nothing pending: silent
		if !l.Log(ctx, lg, slog.LevelWarn, "k", "fetch failed") {
			t.Error("the first failure after a reset was not logged")
		}
		got := lines(buf)
		if len(got) != 3 || !strings.Contains(got[1], "fetch recovered") || !strings.Contains(got[1], "repeated=1") {
			t.Fatalf("lines %q", got)
		}
	})
	t.Run("ManyDistinctKeysAreBounded", func(t *testing.T) {
		c := &clock{t: time.Unix(0, 0)}
		l := newLimiter(c)
		lg, _ := newLog()
		for i := range 10000 {
			l.Log(ctx, lg, slog.LevelWarn, fmt.Sprint("k", i), "failed")
		}
		// The first key was evicted, so it is logged again at once.
		if !l.Log(ctx, lg, slog.LevelWarn, "k0", "failed") {
			t.Error("an evicted key was not logged again")
		}
		if l.Log(ctx, lg, slog.LevelWarn, "k9999", "failed") {
			t.Error("a recent key was logged twice within its interval")
		}
	})
	t.Run("DisabledLevelsAreNotCounted", func(t *testing.T) {
		c := &clock{t: time.Unix(0, 0)}
		l := newLimiter(c)
		var b bytes.Buffer
		lg := slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelError}))
		if l.Log(ctx, lg, slog.LevelWarn, "k", "failed") || b.Len() != 0 {
			t.Error("logged below the handler's level")
		}
	})
}
