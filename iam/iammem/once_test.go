package iammem_test

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iammem"
)

func TestOnce(t *testing.T) {
	ctx := context.Background()
	t.Run("RunsOncePerConsumerAndEvent", func(t *testing.T) {
		o := iammem.NewOnce(0)
		runs := map[string]int{}
		do := func(consumer, id string) {
			t.Helper()
			if err := o.Do(ctx, consumer, id, func() error { runs[consumer+"/"+id]++; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		do("users", "e1")
		do("users", "e1")
		do("rbac", "e1")
		do("users", "e2")
		want := map[string]int{"users/e1": 1, "rbac/e1": 1, "users/e2": 1}
		for k, n := range want {
			if runs[k] != n {
				t.Fatalf("runs = %v, want %v", runs, want)
			}
		}
	})
	t.Run("FailureLeavesTheEventUnhandled", func(t *testing.T) {
		o := iammem.NewOnce(0)
		boom := errors.New("boom")
		if err := o.Do(ctx, "users", "e1", func() error { return boom }); !errors.Is(err, boom) {
			t.Fatalf("Do = %v, want fn's error", err)
		}
		ran := false
		if err := o.Do(ctx, "users", "e1", func() error { ran = true; return nil }); err != nil || !ran {
			t.Fatalf("redelivery after a failure: ran %v, err %v", ran, err)
		}
	})
	t.Run("ConcurrentDeliveriesRunOnce", func(t *testing.T) {
		o := iammem.NewOnce(0)
		var runs atomic.Int32
		release := make(chan struct{})
		var started, done sync.WaitGroup
		for range 20 {
			started.Add(1)
			done.Add(1)
			go func() {
				defer done.Done()
				started.Done()
				err := o.Do(ctx, "users", "e1", func() error {
					runs.Add(1)
					<-release
					return nil
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		started.Wait()
		for range 100 { // let the others reach Do while the first runs fn
			runtime.Gosched()
		}
		close(release)
		done.Wait()
		if n := runs.Load(); n != 1 {
			t.Fatalf("fn ran %d times for one event, want 1", n)
		}
	})
	t.Run("AWaiterRunsWhenTheFirstDeliveryFails", func(t *testing.T) {
		o := iammem.NewOnce(0)
		entered, fail := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- o.Do(ctx, "users", "e1", func() error {
				close(entered)
				<-fail
				return errors.New("boom")
			})
		}()
		<-entered
		second := make(chan error, 1)
		var secondRan atomic.Bool
		go func() {
			second <- o.Do(ctx, "users", "e1", func() error { secondRan.Store(true); return nil })
		}()
		close(fail)
		if err := <-first; err == nil {
			t.Fatal("the failed delivery returned nil")
		}
		if err := <-second; err != nil || !secondRan.Load() {
			t.Fatalf("second delivery: ran %v, err %v", secondRan.Load(), err)
		}
	})
	t.Run("WaitingEndsWithTheContext", func(t *testing.T) {
		o := iammem.NewOnce(0)
		entered, finish := make(chan struct{}), make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- o.Do(ctx, "users", "e1", func() error { close(entered); <-finish; return nil })
		}()
		<-entered
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		err := o.Do(cancelled, "users", "e1", func() error { t.Error("ran while the first delivery runs"); return nil })
		if iam.ErrorCode(err) != iam.CodeUnavailable {
			t.Fatalf("Do with an ended context = %v, want unavailable", err)
		}
		close(finish)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ForgetsTheOldestBeyondTheLimit", func(t *testing.T) {
		o := iammem.NewOnce(2)
		runs := map[string]int{}
		for _, id := range []string{"e1", "e2", "e3", "e3", "e1"} {
			if err := o.Do(ctx, "users", id, func() error { runs[id]++; return nil }); err != nil {
				t.Fatal(err)
			}
		}
		if runs["e1"] != 2 || runs["e2"] != 1 || runs["e3"] != 1 {
			t.Fatalf("runs = %v, want e1 run again after being forgotten, e3 once", runs)
		}
	})
	t.Run("ConsumerAndEventIDAreRequired", func(t *testing.T) {
		o := iammem.NewOnce(0)
		for _, pair := range [][2]string{{"", "e1"}, {"users", ""}} {
			err := o.Do(ctx, pair[0], pair[1], func() error { t.Error("fn ran"); return nil })
			if iam.ErrorCode(err) != iam.CodeInvalid {
				t.Fatalf("Do(%q, %q) = %v, want invalid", pair[0], pair[1], err)
			}
		}
	})
}
