package iampg_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iampg"
)

// counts is an iampg.RelayObserver.
type counts struct{ published, failed atomic.Int64 }

func (c *counts) Published(n int)   { c.published.Add(int64(n)) }
func (c *counts) PublishFailed(int) { c.failed.Add(1) }

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// While publishing fails the relay reports its failed batches, logs the
// failure with a count instead of once per retry, and says when it
// publishes again; the outbox's backlog and age show what waits.
func TestRelayReportsFailuresAndRecoveryWithoutFloodingTheLog(t *testing.T) {
	ctx := context.Background()
	pool := migratedPool(t)
	var failing atomic.Bool
	failing.Store(true)
	var attempts atomic.Int64
	publisher := iam.PublisherFunc(func(ctx context.Context, events ...iam.Event) error {
		attempts.Add(1)
		if failing.Load() {
			return errors.New("broker down")
		}
		return nil
	})
	for i := range 5 {
		write(t, pool, newEvent(t, fmt.Sprintf("user-%d", i), nil))
	}
	st, err := iampg.OutboxStats(ctx, pool)
	if err != nil || st.Unsent != 5 || st.Oldest.IsZero() || time.Since(st.Oldest) > time.Minute {
		t.Fatalf("OutboxStats before relaying = %+v, %v; want 5 unsent since just now", st, err)
	}

	var out lockedBuffer
	obs := &counts{}
	startRelay(t, iampg.NewRelay(pool, publisher, fastRelay(
		iampg.WithObserver(obs),
		iampg.WithLogger(slog.New(slog.NewTextHandler(&out, nil))),
		iampg.WithLogInterval(time.Hour, time.Hour), // one line for the whole outage
	)...))
	eventually(t, "twenty failed attempts", func() bool { return attempts.Load() >= 20 })
	failing.Store(false)
	eventually(t, "the backlog is published", func() bool {
		st, err := iampg.OutboxStats(ctx, pool)
		return err == nil && st.Unsent == 0 && st.Oldest.IsZero()
	})

	if n := obs.failed.Load(); n < 20 {
		t.Errorf("observer saw %d failed batches, want at least 20", n)
	}
	if n := obs.published.Load(); n != 5 {
		t.Errorf("observer saw %d events published, want 5", n)
	}
	log := out.String()
	if n := strings.Count(log, "outbox relay failed"); n != 1 {
		t.Errorf("the failure was logged %d times, want once:\n%s", n, log)
	}
	if !strings.Contains(log, "outbox relay recovered") {
		t.Errorf("the recovery was not logged:\n%s", log)
	}
}
