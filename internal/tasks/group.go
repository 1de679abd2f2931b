package tasks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/opengate-iam/opengate/iam"
)

// Readiness defaults of a Group.
const (
	// DefaultSettle is how long a task that reports nothing (iam.Readiness)
	// must run before it counts as up.
	DefaultSettle = time.Second
	// DefaultFailingAfter is how long a task may keep failing — returning
	// errors, or reporting iam.ReportFailing without a ReportReady since —
	// before the group stops being ready.
	DefaultFailingAfter = 30 * time.Second
)

// Group runs named background tasks (outbox relays, consumers) under one
// context until Stop. A task that ends with an error while the group runs is
// logged as "background task stopped" with the task's name and the error, and
// started again after a backoff (doubling from one second to a minute), so a
// consumer that lost its broker comes back by itself; a task that returns nil
// is done. The other tasks go on either way.
//
// Check tells whether every task is up, for /readyz. Each run of a task gets
// an iam.Readiness in its context: a task that reports iam.ReportStarting
// is up once it reports iam.ReportReady (a consumer once it has joined its
// group, a relay once it has published); one that reports nothing is up
// once it has run for a second. A task is down from its first failure (an
// error returned, or iam.ReportFailing) until it is up again, and the group
// is not ready while some task has never been up or has been down for
// longer than DefaultFailingAfter.
type Group struct {
	ctx          context.Context
	cancel       context.CancelFunc
	log          *slog.Logger
	wg           sync.WaitGroup
	minBackoff   time.Duration
	maxBackoff   time.Duration
	settle       time.Duration
	failingAfter time.Duration

	mu    sync.Mutex // guards tasks and their state
	tasks []*task
}

// NewGroup returns a group whose tasks run until ctx ends or Stop is called.
func NewGroup(ctx context.Context, log *slog.Logger) *Group {
	ctx, cancel := context.WithCancel(ctx)
	return &Group{ctx: ctx, cancel: cancel, log: log, minBackoff: time.Second, maxBackoff: time.Minute,
		settle: DefaultSettle, failingAfter: DefaultFailingAfter}
}

// SetBackoff sets the restart backoff of failed tasks (tests); call it before
// Go.
func (g *Group) SetBackoff(min, max time.Duration) { g.minBackoff, g.maxBackoff = min, max }

// SetReadiness sets how long a task that reports nothing runs before it
// counts as up, and how long a task may keep failing before the group is
// not ready (tests; defaults DefaultSettle, DefaultFailingAfter); call it
// before Go.
func (g *Group) SetReadiness(settle, failingAfter time.Duration) {
	g.settle, g.failingAfter = settle, failingAfter
}

// Go starts fn in its own goroutine with the group's context, restarting it
// after failures until the group stops.
func (g *Group) Go(name string, fn func(context.Context) error) {
	t := &task{g: g, name: name, runStart: time.Now()}
	g.mu.Lock()
	g.tasks = append(g.tasks, t)
	g.mu.Unlock()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		backoff := g.minBackoff
		for first := true; ; first = false {
			if !first {
				t.restart()
			}
			err := fn(iam.WithReadiness(g.ctx, t))
			if err == nil || g.ctx.Err() != nil || errors.Is(err, context.Canceled) {
				t.end()
				return
			}
			t.Failing(err)
			g.log.Error("background task stopped", "task", name, "error", err.Error(), "restart_in", backoff.String())
			select {
			case <-g.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, g.maxBackoff)
		}
	}()
}

// Check returns nil when every task is up or done, and otherwise an error
// naming each task that is still starting or has been failing for longer
// than the group allows, with its latest error and restart count. It has
// the shape of an iamhttp.Check.
func (g *Group) Check(context.Context) error {
	now := time.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	var problems []string
	for _, t := range g.tasks {
		if p := t.problemLocked(now); p != "" {
			problems = append(problems, t.name+": "+p)
		}
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// Stop cancels the group's context and waits until every task has returned.
// It may be called more than once.
func (g *Group) Stop() {
	g.cancel()
	g.wg.Wait()
}

// task is one task's state; it is the iam.Readiness of its runs. Its
// fields are guarded by g.mu.
type task struct {
	g            *Group
	name         string
	runStart     time.Time // when the current run began
	reporting    bool      // the current run has reported its state
	up           bool      // the latest report (or settling) says up
	everUp       bool      // up at least once
	done         bool      // returned nil: nothing left to check
	failingSince time.Time // zero unless down after a failure
	lastErr      error
	restarts     int
}

var _ iam.Readiness = (*task)(nil)

func (t *task) restart() {
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	t.restarts++
	t.runStart, t.reporting, t.up = time.Now(), false, false
}

func (t *task) end() {
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	t.done = true
}

// Starting is iam.Readiness: the run will report Ready.
func (t *task) Starting() {
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	t.reporting = true
}

// Ready is iam.Readiness: the run is up.
func (t *task) Ready() {
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	t.reporting, t.up, t.everUp = true, true, true
	t.failingSince, t.lastErr = time.Time{}, nil
}

// Failing is iam.Readiness: the run's latest attempt failed.
func (t *task) Failing(err error) {
	t.g.mu.Lock()
	defer t.g.mu.Unlock()
	t.reporting, t.up, t.lastErr = true, false, err
	if t.failingSince.IsZero() {
		t.failingSince = time.Now()
	}
}

// problemLocked says why t keeps the group from being ready, or "".
func (t *task) problemLocked(now time.Time) string {
	if t.done {
		return ""
	}
	if !t.up && !t.reporting && t.lastErr == nil && now.Sub(t.runStart) >= t.g.settle {
		// Reports nothing, and has run long enough without failing.
		t.up, t.everUp = true, true
	}
	if !t.up && !t.reporting && t.lastErr != nil && now.Sub(t.runStart) >= max(t.g.settle, t.g.minBackoff) {
		// Restarted after a failure and running since.
		t.up, t.everUp, t.failingSince, t.lastErr = true, true, time.Time{}, nil
	}
	switch {
	case t.up:
		return ""
	case !t.failingSince.IsZero() && now.Sub(t.failingSince) >= t.g.failingAfter:
		return fmt.Sprintf("failing for %s (%d restarts): %v", since(now, t.failingSince), t.restarts, t.lastErr)
	case !t.everUp:
		if t.lastErr != nil {
			return fmt.Sprintf("starting (%d restarts): %v", t.restarts, t.lastErr)
		}
		return "starting"
	}
	return ""
}

// since formats how long ago t was, in seconds past the first.
func since(now, t time.Time) time.Duration {
	d := now.Sub(t)
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}
