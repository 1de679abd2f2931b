package iammem_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iammem"
)

func event(t *testing.T, subject string) iam.Event {
	t.Helper()
	e, err := iam.NewEvent("/test", iam.TopicUserCreated, "acme", subject, map[string]string{"secret": "s3cr3t-" + subject})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestPublisher(t *testing.T) {
	t.Run("PublishesAfterUnlocking", func(t *testing.T) {
		unlocked := false
		var got []iam.Event
		p := iammem.NewPublisher(iam.PublisherFunc(func(ctx context.Context, events ...iam.Event) error {
			if !unlocked {
				t.Error("published before the store's lock was released")
			}
			got = append(got, events...)
			return nil
		}), nil, "testmem")
		p.UnlockAndPublish(context.Background(), func() { unlocked = true }, []iam.Event{event(t, "a"), event(t, "b")})
		if len(got) != 2 || got[0].Subject != "a" || got[1].Subject != "b" {
			t.Fatalf("published %v", got)
		}
	})
	t.Run("PublishesInTheOrderOfTheChanges", func(t *testing.T) {
		var store sync.Mutex
		next := 0
		var mu sync.Mutex
		var published []int
		p := iammem.NewPublisher(iam.PublisherFunc(func(ctx context.Context, events ...iam.Event) error {
			mu.Lock()
			defer mu.Unlock()
			for _, e := range events {
				published = append(published, len(e.Subject))
			}
			return nil
		}), nil, "testmem")
		var wg sync.WaitGroup
		for range 50 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				store.Lock()
				next++
				p.UnlockAndPublish(context.Background(), store.Unlock, []iam.Event{event(t, strings.Repeat("x", next))})
			}()
		}
		wg.Wait()
		for i, n := range published {
			if n != i+1 {
				t.Fatalf("published out of order: %v", published)
			}
		}
	})
	t.Run("PublishesAlthoughTheRequestEnded", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var logs bytes.Buffer
		p := iammem.NewPublisher(iam.PublisherFunc(func(ctx context.Context, events ...iam.Event) error {
			return ctx.Err()
		}), slog.New(slog.NewJSONHandler(&logs, nil)), "testmem")
		p.UnlockAndPublish(ctx, func() {}, []iam.Event{event(t, "a")})
		if logs.Len() != 0 {
			t.Fatalf("publishing saw the request's cancellation: %s", logs.String())
		}
	})
	t.Run("FailureIsLoggedWithoutTheEvents", func(t *testing.T) {
		var logs bytes.Buffer
		p := iammem.NewPublisher(iam.PublisherFunc(func(context.Context, ...iam.Event) error {
			return errors.New("bus down")
		}), slog.New(slog.NewJSONHandler(&logs, nil)), "testmem")
		unlocked := false
		p.UnlockAndPublish(context.Background(), func() { unlocked = true }, []iam.Event{event(t, "a")})
		out := logs.String()
		if !unlocked || !strings.Contains(out, "testmem: events not published") || !strings.Contains(out, "bus down") {
			t.Fatalf("unlocked %v, log %s", unlocked, out)
		}
		if strings.Contains(out, "s3cr3t") {
			t.Fatalf("the log repeats event data: %s", out)
		}
	})
	t.Run("NoPublisherDropsTheEvents", func(t *testing.T) {
		unlocked := false
		iammem.NewPublisher(nil, nil, "testmem").UnlockAndPublish(context.Background(), func() { unlocked = true }, []iam.Event{event(t, "a")})
		if !unlocked {
			t.Fatal("the store's lock was not released")
		}
	})
}
