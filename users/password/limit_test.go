package password_test

import (
	"context"
	"errors"
	"runtime"
	"testing"

	"github.com/opengate-iam/opengate/users/password"
)

func TestLimiter(t *testing.T) {
	t.Run("RunsAtMostSlotsAndQueuesAtMostQueue", func(t *testing.T) {
		l := password.NewLimiter(2, 1)
		ctx := context.Background()
		r1, err1 := l.Acquire(ctx)
		r2, err2 := l.Acquire(ctx)
		if err1 != nil || err2 != nil || l.Running() != 2 {
			t.Fatalf("first two: %v, %v; running %d", err1, err2, l.Running())
		}
		got := make(chan error, 1)
		go func() {
			r, err := l.Acquire(ctx) // waits in the queue
			if err == nil {
				r()
			}
			got <- err
		}()
		for l.Waiting() != 1 {
			runtime.Gosched()
		}
		if _, err := l.Acquire(ctx); !errors.Is(err, password.ErrBusy) {
			t.Fatalf("with the queue full: err = %v, want ErrBusy", err)
		}
		r1()
		if err := <-got; err != nil {
			t.Fatalf("queued caller: %v", err)
		}
		r2()
		if l.Running() != 0 || l.Waiting() != 0 {
			t.Fatalf("after release: running %d, waiting %d", l.Running(), l.Waiting())
		}
	})
	t.Run("WaiterGivesUpWhenItsContextEnds", func(t *testing.T) {
		l := password.NewLimiter(1, 1)
		release, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		ctx, cancel := context.WithCancel(context.Background())
		got := make(chan error, 1)
		go func() { _, err := l.Acquire(ctx); got <- err }()
		for l.Waiting() != 1 {
			runtime.Gosched()
		}
		cancel()
		if err := <-got; !errors.Is(err, password.ErrBusy) || !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want ErrBusy and context.Canceled", err)
		}
		if l.Waiting() != 0 {
			t.Fatalf("the waiter kept its place: waiting %d", l.Waiting())
		}
	})
	t.Run("ZeroQueueRejectsAtOnce", func(t *testing.T) {
		l := password.NewLimiter(1, 0)
		release, err := l.Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		if _, err := l.Acquire(context.Background()); !errors.Is(err, password.ErrBusy) {
			t.Fatalf("err = %v, want ErrBusy", err)
		}
	})
	t.Run("ReleaseTwiceFreesOneSlot", func(t *testing.T) {
		l := password.NewLimiter(2, 0)
		r1, _ := l.Acquire(context.Background())
		r2, _ := l.Acquire(context.Background())
		r1()
		r1()
		if l.Running() != 1 {
			t.Fatalf("running = %d, want 1 (r2 still holds its slot)", l.Running())
		}
		r2()
	})
	t.Run("DefaultsFollowTheCPUs", func(t *testing.T) {
		l := password.NewLimiter(0, -1)
		if l.Slots() != runtime.GOMAXPROCS(0) || l.Queue() != password.DefaultQueuePerSlot*l.Slots() {
			t.Fatalf("slots %d, queue %d", l.Slots(), l.Queue())
		}
	})
}
