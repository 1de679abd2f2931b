package userstest

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/users"
)

func testOnceRunsOncePerConsumerAndEvent(t *testing.T, h Harness) {
	s := h.Store
	e1, e2 := iam.NewID(), iam.NewID()
	runs := map[string]int{}
	for _, d := range [][2]string{{"users", e1}, {"users", e1}, {"other", e1}, {"users", e2}} {
		err := s.Once(ctx(t), d[0], d[1], func(users.Store) error { runs[d[0]+"/"+d[1]]++; return nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	if runs["users/"+e1] != 1 || runs["other/"+e1] != 1 || runs["users/"+e2] != 1 {
		t.Fatalf("runs = %v, want each (consumer, event) once", runs)
	}
}

func testOnceFailureLeavesTheEventUnhandled(t *testing.T, h Harness) {
	s := h.Store
	id, boom := iam.NewID(), errors.New("boom")
	if err := s.Once(ctx(t), "users", id, func(users.Store) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("Once = %v, want fn's error", err)
	}
	ran := false
	if err := s.Once(ctx(t), "users", id, func(users.Store) error { ran = true; return nil }); err != nil || !ran {
		t.Fatalf("redelivery after a failure: ran %v, err %v", ran, err)
	}
}

func testOnceWritesThroughTheGivenStore(t *testing.T, h Harness) {
	s := h.Store
	u := newUser("acme", "alice")
	if err := s.Once(ctx(t), "users", iam.NewID(), func(st users.Store) error {
		return st.Create(ctx(t), u, users.CreateOptions{})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx(t), "acme", u.ID); err != nil {
		t.Fatalf("the user fn created: %v", err)
	}
}

func testOnceConcurrentDeliveriesRunOnce(t *testing.T, h Harness) {
	s := h.Store
	id := iam.NewID()
	var runs atomic.Int32
	var wg sync.WaitGroup
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runtime.Gosched()
			err := s.Once(ctx(t), "users", id, func(st users.Store) error {
				runs.Add(1)
				return st.Create(ctx(t), newUser("acme", "bob"), users.CreateOptions{})
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := runs.Load(); n != 1 {
		t.Fatalf("fn ran %d times for one event, want 1", n)
	}
}

func testOnceNeedsAConsumer(t *testing.T, h Harness) {
	err := h.Store.Once(ctx(t), "", iam.NewID(), func(users.Store) error { t.Error("fn ran"); return nil })
	wantCode(t, err, iam.CodeInvalid)
}
