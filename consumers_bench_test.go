package opengate_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/opengate-iam/opengate"
	"github.com/opengate-iam/opengate/auth"
	"github.com/opengate-iam/opengate/clients"
	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamcrypto"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iampg"
	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/mfa"
	"github.com/opengate-iam/opengate/notify"
	"github.com/opengate-iam/opengate/rbac"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/users"
)

// handledCounter is an iamkafka.Observer that signals when n events of a
// group were handled.
type handledCounter struct {
	mu           sync.Mutex
	n            int // handled or dead-lettered
	deadLettered int
	target       int
	done         chan struct{}
}

func (c *handledCounter) Handled(_, _ string, n int) { c.add(n, 0) }

func (c *handledCounter) DeadLettered(string, string) { c.add(1, 1) }

func (c *handledCounter) add(n, dead int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n += n
	c.deadLettered += dead
	if c.n >= c.target && c.done != nil {
		close(c.done)
		c.done = nil
	}
}

// consumerBench is one consumer's benchmark: its group, its handler, the
// database its effects go to (nil: Redis), and the events it handles.
type consumerBench struct {
	group  string
	handle func(*opengate.Server) iam.Handler
	db     func(*opengate.Databases) *pgxpool.Pool
	// events returns n events of the consumer's main topic, after any
	// set-up they need (users that exist, for notify).
	events func(b *testing.B, srv *opengate.Server, n int) []iam.Event
}

func benchEvent(b *testing.B, topic string, realm iam.Realm, subject string, data any) iam.Event {
	b.Helper()
	e, err := iam.NewEvent("/bench", topic, realm, subject, data)
	if err != nil {
		b.Fatal(err)
	}
	return e
}

var consumerBenches = []consumerBench{
	{rbac.Consumer, func(s *opengate.Server) iam.Handler { return s.RBAC.HandleEvent },
		func(d *opengate.Databases) *pgxpool.Pool { return d.RBAC },
		func(b *testing.B, _ *opengate.Server, n int) []iam.Event {
			out := make([]iam.Event, n)
			for i := range out {
				id := iam.NewID()
				out[i] = benchEvent(b, iam.TopicUserCreated, "master", id, map[string]any{"id": id, "username": fmt.Sprint("u", i)})
			}
			return out
		}},
	{clients.Consumer, func(s *opengate.Server) iam.Handler { return s.Clients.HandleEvent },
		func(d *opengate.Databases) *pgxpool.Pool { return d.Clients },
		func(b *testing.B, _ *opengate.Server, n int) []iam.Event {
			out := make([]iam.Event, n)
			for i := range out {
				realm := iam.Realm(fmt.Sprint("bench-", i))
				out[i] = benchEvent(b, iam.TopicRealmCreated, realm, string(realm), map[string]any{"name": realm, "enabled": true})
			}
			return out
		}},
	{users.Consumer, func(s *opengate.Server) iam.Handler { return s.Users.HandleEvent },
		func(d *opengate.Databases) *pgxpool.Pool { return d.Users },
		func(b *testing.B, _ *opengate.Server, n int) []iam.Event {
			out := make([]iam.Event, n)
			for i := range out {
				realm := iam.Realm(fmt.Sprint("gone-", i))
				out[i] = benchEvent(b, iam.TopicRealmDeleted, realm, string(realm), map[string]any{"name": realm})
			}
			return out
		}},
	{mfa.Consumer, func(s *opengate.Server) iam.Handler { return s.MFA.HandleEvent },
		func(d *opengate.Databases) *pgxpool.Pool { return d.MFA },
		func(b *testing.B, _ *opengate.Server, n int) []iam.Event {
			out := make([]iam.Event, n)
			for i := range out {
				id := iam.NewID()
				out[i] = benchEvent(b, iam.TopicUserDeleted, "master", id, map[string]any{"id": id, "username": fmt.Sprint("u", i)})
			}
			return out
		}},
	{notify.Consumer, func(s *opengate.Server) iam.Handler { return s.Notify.HandleEvent },
		func(d *opengate.Databases) *pgxpool.Pool { return d.Notifications },
		func(b *testing.B, srv *opengate.Server, n int) []iam.Event {
			out := make([]iam.Event, n)
			for i := range out {
				// A user who exists and has an address: a welcome mail is
				// recorded for the delivery worker (not running here).
				u := users.User{Username: fmt.Sprint("u", i), Email: fmt.Sprintf("u%d@bench.test", i), Enabled: true}
				if srv != nil {
					var err error
					if u, err = srv.Users.Create(context.Background(), "master", u); err != nil {
						b.Fatal(err)
					}
				}
				out[i] = benchEvent(b, iam.TopicUserCreated, "master", u.ID,
					users.UserData{ID: u.ID, Username: u.Username, Email: u.Email, Enabled: true})
			}
			return out
		}},
	{auth.Consumer, func(s *opengate.Server) iam.Handler { return s.Auth.HandleEvent }, nil,
		func(b *testing.B, _ *opengate.Server, n int) []iam.Event {
			out := make([]iam.Event, n)
			for i := range out {
				id := iam.NewID()
				out[i] = benchEvent(b, iam.TopicUserDeleted, "master", id, map[string]any{"id": id})
			}
			return out
		}},
	{session.Consumer, func(s *opengate.Server) iam.Handler { return s.Sessions.HandleEvent }, nil,
		func(b *testing.B, _ *opengate.Server, n int) []iam.Event {
			out := make([]iam.Event, n)
			for i := range out {
				id := iam.NewID()
				out[i] = benchEvent(b, iam.TopicLoginSuccess, "master", id, map[string]any{"userId": id, "username": fmt.Sprint("u", i),
					"clientId": "admin-cli", "sessionId": iam.NewID(), "grantType": "password",
					"sessionExpiresAt": time.Now().Add(time.Hour).Unix()})
			}
			return out
		}},
}

// BenchmarkConsumers measures each consumer group on PostgreSQL and Redis:
// b.N events of its main topic wait in a one-partition topic of an
// in-process Kafka-protocol broker (kfake, loopback TCP), and the group
// handles them all; events/s is the throughput. "batched" handles a poll's
// events of each lane in one transaction (iampg.Batcher, as Server.Run
// does), "single" one transaction per event; lanes split a partition's
// events by key, handled concurrently (iamkafka.WithLanes; default 4,
// "-1lane": strictly in offset order). Run with a fixed count, for example
// -benchtime=4000x.
func BenchmarkConsumers(b *testing.B) {
	for _, cb := range consumerBenches {
		for _, mode := range []struct {
			name    string
			batched bool
			lanes   int
		}{{"batched", true, iamkafka.DefaultLanes}, {"batched-1lane", true, 1}, {"single", false, iamkafka.DefaultLanes}, {"single-1lane", false, 1}} {
			if mode.batched && cb.db == nil {
				continue // Redis only: nothing to batch
			}
			b.Run(cb.group+"/"+mode.name, func(b *testing.B) { benchConsumer(b, cb, mode.batched, mode.lanes) })
		}
	}
}

func benchConsumer(b *testing.B, cb consumerBench, batched bool, lanes int) {
	rc, prefix := iamtest.Redis(b)
	cfg := opengate.Config{
		Databases: &opengate.Databases{
			Realms: iamtest.Postgres(b), Clients: iamtest.Postgres(b), Users: iamtest.Postgres(b),
			RBAC: iamtest.Postgres(b), Auth: iamtest.Postgres(b), MFA: iamtest.Postgres(b),
			Notifications: iamtest.Postgres(b),
		},
		SecretKey: iamcrypto.GenerateKey(), Redis: rc, RedisPrefix: prefix,
	}
	cfg.IssuerBase = "http://localhost:1"
	cfg.Logger = slog.New(slog.DiscardHandler)
	topic := cb.events(b, nil, 1)[0].Type
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, topic, iamkafka.DLQTopic(topic)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	srv, err := opengate.New(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	events := cb.events(b, srv, b.N)
	pub, err := iamkafka.OpenPublisher(c.ListenAddrs(), iamkafka.WithLogger(cfg.Logger))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pub.Close() })
	for i := 0; i < len(events); i += 500 {
		if err := pub.Publish(context.Background(), events[i:min(i+500, len(events))]...); err != nil {
			b.Fatal(err)
		}
	}
	counter := &handledCounter{target: b.N, done: make(chan struct{})}
	done := counter.done
	sub := iamkafka.NewSubscriber(c.ListenAddrs(), iamkafka.WithLogger(cfg.Logger), iamkafka.WithObserver(counter),
		iamkafka.WithBackoff(time.Millisecond, time.Millisecond),
		iamkafka.WithLanes(lanes))
	ctx, cancel := context.WithCancel(context.Background())
	if batched {
		ctx = iam.WithBatcher(ctx, iampg.NewBatcher().Add(cb.group, cb.db(cfg.Databases)))
	}
	ran := make(chan error, 1)
	b.ResetTimer()
	start := time.Now()
	go func() { ran <- sub.Subscribe(ctx, cb.group, []string{topic}, cb.handle(srv)) }()
	select {
	case <-done:
	case err := <-ran:
		b.Fatalf("Subscribe ended: %v", err)
	case <-time.After(10 * time.Minute):
		b.Fatalf("handled %d of %d events", counter.n, b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	b.StopTimer()
	if counter.deadLettered > 0 {
		b.Fatalf("%d events dead-lettered: the benchmark's events are not what the consumer handles", counter.deadLettered)
	}
	cancel()
	<-ran
}
