package gatewaytest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/gateway"
)

// RunLimiter runs the Limiter contract's cases, each on a fresh limiter
// from newLimiter (a shared store must give each its own key space).
func RunLimiter(t *testing.T, newLimiter func(t *testing.T) gateway.Limiter) {
	cases := []struct {
		name string
		run  func(t *testing.T, l gateway.Limiter)
	}{
		{"AllowsTheAllowanceThenRefuses", allowsTheAllowanceThenRefuses},
		{"RefusalCountsInNoBucket", refusalCountsInNoBucket},
		{"BucketsAreIndependent", bucketsAreIndependent},
		{"DecisionIsTheBindingBucket", decisionIsTheBindingBucket},
		{"RecoversAfterRetryAfter", recoversAfterRetryAfter},
		{"ConcurrentTakesNeverExceedTheAllowance", concurrentTakesNeverExceedTheAllowance},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, newLimiter(t))
		})
	}
}

// perMinute is a rate whose refill (one request every 60/n seconds) no
// test waits for.
func perMinute(n int) gateway.Rate { return gateway.Rate{Requests: n, Per: time.Minute} }

func take(t *testing.T, l gateway.Limiter, buckets ...gateway.Bucket) gateway.Decision {
	t.Helper()
	d, err := l.Take(context.Background(), buckets)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return d
}

func allowsTheAllowanceThenRefuses(t *testing.T, l gateway.Limiter) {
	b := gateway.Bucket{Key: "ip:192.0.2.1", Rate: perMinute(3)}
	for i, remaining := range []int{2, 1, 0} {
		d := take(t, l, b)
		if !d.Allowed || d.Limit != 3 || d.Remaining != remaining {
			t.Fatalf("request %d: %+v, want allowed with %d remaining of 3", i+1, d, remaining)
		}
		if d.ResetAfter <= 0 || d.ResetAfter > time.Minute {
			t.Fatalf("request %d: ResetAfter %v, want within the minute", i+1, d.ResetAfter)
		}
	}
	d := take(t, l, b)
	if d.Allowed || d.Remaining != 0 || d.Limit != 3 {
		t.Fatalf("request 4: %+v, want refused", d)
	}
	if d.RetryAfter <= 0 || d.RetryAfter > 20*time.Second {
		t.Fatalf("RetryAfter %v, want at most the 20 s one request takes to come back", d.RetryAfter)
	}
}

func refusalCountsInNoBucket(t *testing.T, l gateway.Limiter) {
	tight := gateway.Bucket{Key: "login:192.0.2.1", Rate: perMinute(1)}
	loose := gateway.Bucket{Key: "ip:192.0.2.1", Rate: perMinute(5)}
	if d := take(t, l, loose, tight); !d.Allowed {
		t.Fatalf("first: %+v", d)
	}
	for range 3 {
		if d := take(t, l, loose, tight); d.Allowed {
			t.Fatalf("over the tight bucket: %+v", d)
		}
	}
	// Only the allowed request counted in loose: 5 - 1 - this one.
	if d := take(t, l, loose); !d.Allowed || d.Remaining != 3 {
		t.Fatalf("loose alone: %+v, want 3 remaining: refused requests must not count", d)
	}
}

func bucketsAreIndependent(t *testing.T, l gateway.Limiter) {
	a := gateway.Bucket{Key: "client:acme:app", Rate: perMinute(1)}
	b := gateway.Bucket{Key: "client:beta:app", Rate: perMinute(1)}
	take(t, l, a)
	if d := take(t, l, a); d.Allowed {
		t.Fatalf("a twice: %+v", d)
	}
	if d := take(t, l, b); !d.Allowed {
		t.Fatalf("b after a was exhausted: %+v", d)
	}
}

func decisionIsTheBindingBucket(t *testing.T, l gateway.Limiter) {
	wide := gateway.Bucket{Key: "ip:192.0.2.2", Rate: perMinute(10)}
	narrow := gateway.Bucket{Key: "login:192.0.2.2", Rate: perMinute(2)}
	if d := take(t, l, wide, narrow); !d.Allowed || d.Limit != 2 || d.Remaining != 1 {
		t.Fatalf("= %+v, want the narrow bucket: limit 2, 1 remaining", d)
	}
	take(t, l, wide, narrow)
	if d := take(t, l, wide, narrow); d.Allowed || d.Limit != 2 {
		t.Fatalf("= %+v, want refused by the narrow bucket", d)
	}
}

func recoversAfterRetryAfter(t *testing.T, l gateway.Limiter) {
	b := gateway.Bucket{Key: "ip:192.0.2.3", Rate: gateway.Rate{Requests: 1, Per: 2 * time.Second}}
	take(t, l, b)
	d := take(t, l, b)
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > 2*time.Second {
		t.Fatalf("second request: %+v, want refused for at most 2 s", d)
	}
	time.Sleep(d.RetryAfter + 50*time.Millisecond)
	if d := take(t, l, b); !d.Allowed {
		t.Fatalf("after RetryAfter: %+v, want allowed", d)
	}
}

func concurrentTakesNeverExceedTheAllowance(t *testing.T, l gateway.Limiter) {
	b := gateway.Bucket{Key: "client:acme:busy", Rate: perMinute(20)}
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := l.Take(context.Background(), []gateway.Bucket{b})
			if err != nil {
				t.Errorf("Take: %v", err)
				return
			}
			if d.Allowed {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := allowed.Load(); n != 20 {
		t.Fatalf("%d of 60 concurrent requests allowed, want exactly 20", n)
	}
}
