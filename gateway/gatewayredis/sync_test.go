package gatewayredis_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/gateway"
	"github.com/opengate-iam/opengate/gateway/gatewayredis"
)

// clock is a fake clock tests advance by hand.
type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Duration       { return time.Duration(c.t.Load()) }
func (c *clock) advance(d time.Duration)  { c.t.Add(int64(d)) }
func (c *clock) set(d time.Duration)      { c.t.Store(int64(d)) }
func newClock(start time.Duration) *clock { c := &clock{}; c.set(start); return c }

func simulated(t *testing.T, store *gatewayredis.FakeStore, c *clock, opts ...gatewayredis.Option) *gatewayredis.Limiter {
	t.Helper()
	l := gatewayredis.NewSimulated(store, c.now, opts...)
	t.Cleanup(l.Close)
	return l
}

func mustTake(t *testing.T, l gateway.Limiter, buckets ...gateway.Bucket) gateway.Decision {
	t.Helper()
	d, err := l.Take(context.Background(), buckets)
	if err != nil {
		t.Fatalf("Take: %v", err)
	}
	return d
}

// The guarantee docs/gateway.md states: across n replicas synchronising
// every T, the requests admitted in any window of length W are at most
// L + W·L/P (the exact limiter's bound) plus (n−1)·(L + 2T·L/P). Replicas
// are offered traffic (a flood, random bursts, one client wandering
// between replicas) for ten simulated minutes; every window of several
// lengths starting at an admission is counted. A limiter that never
// synchronised would admit n times the limit over long windows and fail.
func TestOverAdmissionIsBounded(t *testing.T) {
	rate := gateway.Rate{Requests: 20, Per: time.Minute} // one request every 3 s
	const every = time.Second
	const step = 10 * time.Millisecond
	tau := rate.Per / time.Duration(rate.Requests)
	patterns := map[string]func(r *rand.Rand, replica int, at time.Duration) bool{
		"Flood": func(*rand.Rand, int, time.Duration) bool { return true },
		"Bursts": func(r *rand.Rand, _ int, at time.Duration) bool {
			return at%(7*time.Second) < 50*time.Millisecond && r.IntN(2) == 0
		},
		"Wandering": func(r *rand.Rand, replica int, at time.Duration) bool {
			return int(at/(1300*time.Millisecond))%5 == replica%5 && r.IntN(4) == 0
		},
	}
	for _, n := range []int{1, 2, 3, 5} {
		for name, offered := range patterns {
			t.Run(fmt.Sprintf("%s%dReplicas", name, n), func(t *testing.T) {
				c := newClock(time.Hour)
				store := gatewayredis.NewFakeStore(c.now)
				replicas := make([]*gatewayredis.Limiter, n)
				for i := range replicas {
					replicas[i] = simulated(t, store, c)
				}
				r := rand.New(rand.NewPCG(uint64(n), 14))
				b := gateway.Bucket{Key: "login:192.0.2.9", Rate: rate}
				var admitted []time.Duration
				for at := time.Duration(0); at < 10*time.Minute; at += step {
					for i, l := range replicas {
						// Replica i synchronises at k·T + i·T/n (to the step).
						if (at-time.Duration(i)*every/time.Duration(n)/step*step)%every == 0 {
							if err := l.Sync(context.Background()); err != nil {
								t.Fatal(err)
							}
						}
						if offered(r, i, at) && mustTake(t, l, b).Allowed {
							admitted = append(admitted, at)
						}
					}
					c.advance(step)
				}
				excess := float64(n-1) * (float64(rate.Requests) + float64(2*every)/float64(tau))
				for _, w := range []time.Duration{time.Second, 10 * time.Second, time.Minute, 5 * time.Minute} {
					bound := float64(rate.Requests) + float64(w)/float64(tau) + excess
					end, most := 0, 0
					for start := range admitted {
						for end < len(admitted) && admitted[end] <= admitted[start]+w {
							end++
						}
						if got := end - start; float64(got) > bound {
							t.Fatalf("%d requests admitted in the %v from %v, more than the bound %.1f", got, w, admitted[start], bound)
						}
						most = max(most, end-start)
					}
					t.Logf("%v: at most %d admitted, exact limit %.0f, bound %.1f", w, most, float64(rate.Requests)+float64(w)/float64(tau), bound)
				}
				if len(admitted) == 0 {
					t.Fatal("nothing admitted")
				}
			})
		}
	}
}

// One replica alone is the exact limiter, synchronised or not; a second
// replica that has not seen the bucket admits from a full one, and both
// refuse once they have synchronised.
func TestSynchronisedReplicasLearnEachOthersCounts(t *testing.T) {
	c := newClock(time.Hour)
	store := gatewayredis.NewFakeStore(c.now)
	a, b := simulated(t, store, c), simulated(t, store, c)
	bucket := gateway.Bucket{Key: "ip:198.51.100.1", Rate: gateway.Rate{Requests: 3, Per: time.Minute}}
	for i := range 3 {
		if d := mustTake(t, a, bucket); !d.Allowed || d.Remaining != 2-i {
			t.Fatalf("request %d at a: %+v", i+1, d)
		}
	}
	if err := a.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := mustTake(t, b, bucket); !d.Allowed || d.Remaining != 2 {
		t.Fatalf("b, which has not seen the bucket yet: %+v, want allowed from a full bucket", d)
	}
	if err := b.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := mustTake(t, b, bucket)
	if d.Allowed || d.RetryAfter != 40*time.Second {
		t.Fatalf("b after synchronising: %+v, want refused until the 4 requests' debt is paid (40 s)", d)
	}
	if d := mustTake(t, a, bucket); d.Allowed || d.RetryAfter != 20*time.Second {
		t.Fatalf("a over its own 3 requests: %+v, want refused for 20 s", d)
	}
	if err := a.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	c.advance(30 * time.Second)
	if d := mustTake(t, a, bucket); d.Allowed {
		t.Fatalf("a 30 s later: %+v, want refused: it has learnt b's request", d)
	}
	c.advance(11 * time.Second)
	if d := mustTake(t, a, bucket); !d.Allowed {
		t.Fatalf("a 41 s later: %+v, want allowed", d)
	}
}

// Buckets are kept while they are not full again or have counts to send,
// and forgotten afterwards.
func TestIdleBucketsAreForgotten(t *testing.T) {
	c := newClock(time.Hour)
	l := simulated(t, gatewayredis.NewFakeStore(c.now), c)
	rate := gateway.Rate{Requests: 10, Per: 10 * time.Second} // refills one a second
	for i := range 5 {
		mustTake(t, l, gateway.Bucket{Key: fmt.Sprintf("ip:192.0.2.%d", i), Rate: rate})
	}
	c.advance(2 * time.Second)
	l.Forget()
	if n := l.Buckets(); n != 5 {
		t.Fatalf("%d buckets kept, want 5: their counts are not sent yet", n)
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	l.Forget()
	if n := l.Buckets(); n != 5 {
		t.Fatalf("%d buckets kept, want 5: synchronised, but not full again", n)
	}
	c.advance(2 * time.Second)
	l.Forget()
	if n := l.Buckets(); n != 0 {
		t.Fatalf("%d buckets kept after they are full again, want 0", n)
	}
}

// A flood of distinct client addresses never grows a replica's buckets
// past its bound, whether or not they were sent to Redis yet, and the
// counts of the forgotten buckets still reach it.
func TestFloodOfAddressesIsBounded(t *testing.T) {
	c := newClock(time.Hour)
	store := gatewayredis.NewFakeStore(c.now)
	l := simulated(t, store, c)
	const most = 4096
	l.SetMaxBuckets(most)
	rate := gateway.Rate{Requests: 2, Per: time.Minute}
	key := func(i int) gateway.Bucket {
		return gateway.Bucket{Key: fmt.Sprintf("ip:10.%d.%d.%d", i>>16&255, i>>8&255, i&255), Rate: rate}
	}
	for i := range 100_000 {
		if d := mustTake(t, l, key(i)); !d.Allowed {
			t.Fatalf("address %d: %+v", i, d)
		}
		if n := l.Buckets(); n > most {
			t.Fatalf("%d buckets after %d addresses, more than the bound %d", n, i+1, most)
		}
		if i%1000 == 999 {
			c.advance(time.Millisecond)
		}
	}
	if err := l.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The first address was forgotten long ago; its count reached the
	// store, which another replica learns at its first synchronisation.
	other := simulated(t, store, c)
	mustTake(t, other, key(0))
	if err := other.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := mustTake(t, other, key(0)); d.Allowed {
		t.Fatalf("address 0's third request: %+v, want refused: the flood's counts must reach Redis", d)
	}
	c.advance(time.Minute)
	l.Forget()
	if n := l.Buckets(); n != 0 {
		t.Fatalf("%d buckets kept a minute after the flood, want 0", n)
	}
}
