package userstest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/users"
)

// LimiterHarness is one fresh users.Limiter under test and a way to let
// time pass for it (a fake clock's, or real time for Redis).
type LimiterHarness struct {
	Limiter users.Limiter
	// Advance lets d pass for the limiter.
	Advance func(t *testing.T, d time.Duration)
	// Window is the window length the cases use (short for real time).
	Window time.Duration
}

// RunLimiter runs the conformance suite of users.Limiter; newHarness must
// return a limiter that has counted nothing each time it is called.
func RunLimiter(t *testing.T, newHarness func(t *testing.T) LimiterHarness) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(*testing.T, LimiterHarness)
	}{
		{"CountsEventsInAWindow", testLimiterCounts},
		{"KeysAreIndependent", testLimiterKeys},
		{"ANewWindowStartsAfterTheLast", testLimiterWindows},
		{"ConcurrentHitsAreEachCounted", testLimiterConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.fn(t, newHarness(t)) })
	}
}

func mustHit(t *testing.T, h LimiterHarness, key string) (int, time.Duration) {
	t.Helper()
	n, resetIn, err := h.Limiter.Hit(context.Background(), key, h.Window)
	if err != nil {
		t.Fatal(err)
	}
	return n, resetIn
}

func testLimiterCounts(t *testing.T, h LimiterHarness) {
	for want := 1; want <= 3; want++ {
		n, resetIn := mustHit(t, h, "k")
		if n != want || resetIn <= 0 || resetIn > h.Window {
			t.Fatalf("hit %d: n = %d, resetIn = %v (window %v)", want, n, resetIn, h.Window)
		}
	}
}

func testLimiterKeys(t *testing.T, h LimiterHarness) {
	mustHit(t, h, "a")
	mustHit(t, h, "a")
	if n, _ := mustHit(t, h, "b"); n != 1 {
		t.Fatalf("first hit of b counts %d", n)
	}
}

func testLimiterWindows(t *testing.T, h LimiterHarness) {
	mustHit(t, h, "k")
	mustHit(t, h, "k")
	h.Advance(t, h.Window+h.Window/2)
	if n, resetIn := mustHit(t, h, "k"); n != 1 || resetIn <= 0 || resetIn > h.Window {
		t.Fatalf("after the window: n = %d, resetIn = %v; want a new window", n, resetIn)
	}
}

func testLimiterConcurrent(t *testing.T, h LimiterHarness) {
	const hits = 20
	var wg sync.WaitGroup
	seen := make([]bool, hits+1)
	var mu sync.Mutex
	for range hits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, _, err := h.Limiter.Hit(context.Background(), "k", h.Window)
			mu.Lock()
			defer mu.Unlock()
			if err != nil || n < 1 || n > hits || seen[n] {
				t.Errorf("concurrent hit counted %d (%v): each count must be given once", n, err)
				return
			}
			seen[n] = true
		}()
	}
	wg.Wait()
}
