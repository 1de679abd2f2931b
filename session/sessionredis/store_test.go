package sessionredis_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam/iamtest"
	"github.com/opengate-iam/opengate/session"
	"github.com/opengate-iam/opengate/session/sessionredis"
	"github.com/opengate-iam/opengate/session/sessiontest"
)

// The conformance suite on a real Redis, with real TTLs: the expiry cases
// wait for Redis to expire the keys.
func TestStore(t *testing.T) {
	sessiontest.Run(t, func(t *testing.T) sessiontest.Harness {
		client, prefix := iamtest.Redis(t)
		return sessiontest.Harness{
			Store: sessionredis.New(client, sessionredis.WithPrefix(prefix)),
			Now:   time.Now,
			Wait:  func(_ *testing.T, d time.Duration) { time.Sleep(d) },
			Tick:  300 * time.Millisecond,
		}
	})
}

// The user's index keeps an expired session's id only until the next read,
// and every key carries a TTL, so nothing outlives its session.
func TestIndexesArePrunedOnReadAndKeysExpire(t *testing.T) {
	ctx := t.Context()
	client, prefix := iamtest.Redis(t)
	s := sessionredis.New(client, sessionredis.WithPrefix(prefix))
	now := time.Now()
	short := session.Session{ID: "short", Realm: "acme", UserID: "u1", Clients: map[string]string{"uuid-web": "web"},
		Started: now, LastAccess: now, IdleExpiresAt: now.Add(200 * time.Millisecond), ExpiresAt: now.Add(time.Hour)}
	long := short.Clone()
	long.ID, long.IdleExpiresAt = "long", now.Add(time.Hour)
	for _, in := range []session.Session{short, long} {
		if _, err := s.Create(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	userIndex := prefix + "session:{acme}:u:u1"
	members := func(key string) []string {
		t.Helper()
		m, err := client.Do(ctx, client.B().Zrange().Key(key).Min("0").Max("-1").Build()).AsStrSlice()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if got := members(userIndex); len(got) != 2 {
		t.Fatalf("user index = %v", got)
	}
	keys, err := client.Do(ctx, client.B().Keys().Pattern(prefix+"*").Build()).AsStrSlice()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, prefix+"session:{acme}:") {
			t.Errorf("key %s does not embed the realm", k)
		}
		if ttl, err := client.Do(ctx, client.B().Pttl().Key(k).Build()).AsInt64(); err != nil || ttl <= 0 {
			t.Errorf("key %s has no TTL (%d, %v)", k, ttl, err)
		}
	}
	time.Sleep(400 * time.Millisecond)
	list, err := s.List(ctx, "acme", session.Filter{UserID: "u1"})
	if err != nil || len(list) != 1 || list[0].ID != "long" {
		t.Fatalf("List = %+v, %v", list, err)
	}
	if got := members(userIndex); !slices.Equal(got, []string{"long"}) {
		t.Fatalf("user index after a read = %v, want the expired id pruned", got)
	}
}

// BenchmarkCreate measures recording sessions (one Lua script each) from
// concurrent goroutines, which rueidis pipelines on its connection.
func BenchmarkCreate(b *testing.B) {
	client, prefix := iamtest.Redis(b)
	s := sessionredis.New(client, sessionredis.WithPrefix(prefix))
	ctx := context.Background()
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.SetParallelism(16) // 32 goroutines on 2 cores: what auto-pipelining batches
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			now := time.Now()
			i := n.Add(1)
			_, err := s.Create(ctx, session.Session{ID: strconv.FormatInt(i, 10), Realm: "bench", UserID: "u" + strconv.FormatInt(i%1000, 10),
				Clients: map[string]string{"uuid-web": "web"}, Started: now, LastAccess: now,
				IdleExpiresAt: now.Add(time.Minute), ExpiresAt: now.Add(time.Hour)})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAlive measures the lookup auth makes on every refresh and
// introspection (State: one read-only script), concurrently.
func BenchmarkAlive(b *testing.B) {
	client, prefix := iamtest.Redis(b)
	s := sessionredis.New(client, sessionredis.WithPrefix(prefix))
	ctx := context.Background()
	const sessions = 1000
	now := time.Now()
	for i := range sessions {
		if _, err := s.Create(ctx, session.Session{ID: strconv.Itoa(i), Realm: "bench", UserID: "u", Started: now,
			LastAccess: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(2 * time.Hour)}); err != nil {
			b.Fatal(err)
		}
	}
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.SetParallelism(16) // 32 goroutines on 2 cores: what auto-pipelining batches
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			st, err := s.State(ctx, "bench", strconv.FormatInt(n.Add(1)%sessions, 10))
			if err != nil || st != session.Active {
				b.Fatalf("State = %v, %v", st, err)
			}
		}
	})
}

// BenchmarkGet measures reading a whole session (one HGETALL), concurrently.
func BenchmarkGet(b *testing.B) {
	client, prefix := iamtest.Redis(b)
	s := sessionredis.New(client, sessionredis.WithPrefix(prefix))
	ctx := context.Background()
	now := time.Now()
	if _, err := s.Create(ctx, session.Session{ID: "s", Realm: "bench", UserID: "u", Clients: map[string]string{"uuid-web": "web"},
		Started: now, LastAccess: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(2 * time.Hour)}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.SetParallelism(16) // 32 goroutines on 2 cores: what auto-pipelining batches
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Get(ctx, "bench", "s"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
