package iamkafka_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// observed is an iamkafka.Observer.
type observed struct {
	mu           sync.Mutex
	handled      map[string]int
	deadLettered map[string]int
}

func (o *observed) Handled(group, topic string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.handled[group+"/"+topic] += n
}

func (o *observed) DeadLettered(group, topic string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.deadLettered[group+"/"+topic]++
}

func (o *observed) counts() (handled, deadLettered map[string]int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	h, d := map[string]int{}, map[string]int{}
	for k, v := range o.handled {
		h[k] = v
	}
	for k, v := range o.deadLettered {
		d[k] = v
	}
	return h, d
}

func TestObserverCountsHandledAndDeadLetteredRecords(t *testing.T) {
	seeds := iamtest.Kafka(t, "t")
	p := openPublisher(t, seeds)
	publish(t, p, event(t, "t", "ok", 1), event(t, "t", "poison", 2), event(t, "t", "ok", 3))
	obs := &observed{handled: map[string]int{}, deadLettered: map[string]int{}}
	sub := iamkafka.NewSubscriber(seeds, testOpts(iamkafka.WithMaxAttempts(2), iamkafka.WithObserver(obs))...)
	subscribe(t, sub, "g", []string{"t"}, func(_ context.Context, e iam.Event) error {
		if e.Subject == "poison" {
			return errors.New("cannot handle")
		}
		return nil
	})
	waitCommitted(t, seeds, "g", "t", 0, 3)
	h, d := obs.counts()
	if h["g/t"] != 2 || d["g/t"] != 1 || len(h) != 1 || len(d) != 1 {
		t.Fatalf("handled %v, dead-lettered %v; want g/t 2 and 1", h, d)
	}
}

func TestLagCountsWhatAGroupHasNotCommitted(t *testing.T) {
	seeds := iamtest.Kafka(t, "t")
	p := openPublisher(t, seeds)
	for i := range 5 {
		publish(t, p, event(t, "t", "k", i))
	}
	sub := iamkafka.NewSubscriber(seeds, testOpts()...)
	ctx := context.Background()
	if lag, err := sub.Lag(ctx); err != nil || len(lag) != 0 {
		t.Fatalf("Lag with no member running = %v, %v; want nothing", lag, err)
	}
	subscribe(t, sub, "done", []string{"t"}, func(context.Context, iam.Event) error { return nil })
	stuck := make(chan struct{})
	var once sync.Once
	subscribe(t, sub, "stuck", []string{"t"}, func(ctx context.Context, _ iam.Event) error {
		once.Do(func() { close(stuck) })
		<-ctx.Done()
		return ctx.Err()
	})
	wait(t, stuck, "the stuck group's first event")
	deadline := time.Now().Add(hangGuard)
	for {
		lag, err := sub.Lag(ctx)
		if err == nil && lag["done"]["t"] == 0 && lag["stuck"]["t"] == 5 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Lag = %v, %v; want done 0 and stuck 5 on t", lag, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
