package sessionredis_test

import (
	"context"
	"fmt"
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

// concurrently runs op from 32 goroutines (16 per core on the 2-core
// development machine): rueidis pipelines their commands on one connection
// (auto-pipelining), which is where Redis throughput comes from.
func concurrently(b *testing.B, op func(i int64) error) {
	b.Helper()
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(n.Add(1)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// serially runs op from one goroutine: one round trip at a time.
func serially(b *testing.B, op func(i int64) error) {
	b.Helper()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range int64(b.N) {
		if err := op(i); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreate measures recording sessions (one Lua script each).
func BenchmarkCreate(b *testing.B) {
	client, prefix := iamtest.Redis(b)
	s := sessionredis.New(client, sessionredis.WithPrefix(prefix))
	ctx := context.Background()
	var run atomic.Int64
	create := func(i int64) error {
		now := time.Now()
		_, err := s.Create(ctx, session.Session{ID: strconv.FormatInt(run.Load(), 10) + "-" + strconv.FormatInt(i, 10),
			Realm: "bench", UserID: "u" + strconv.FormatInt(i%1000, 10), Clients: map[string]string{"uuid-web": "web"},
			Started: now, LastAccess: now, IdleExpiresAt: now.Add(time.Minute), ExpiresAt: now.Add(time.Hour)})
		return err
	}
	b.Run("Serial", func(b *testing.B) { run.Add(1); serially(b, create) })
	b.Run("Concurrent", func(b *testing.B) { run.Add(1); concurrently(b, create) })
}

// BenchmarkAlive measures the lookup auth makes on every refresh and
// introspection (State: one read-only script).
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
	alive := func(i int64) error {
		st, err := s.State(ctx, "bench", strconv.FormatInt(i%sessions, 10))
		if err == nil && st != session.Active {
			return fmt.Errorf("state %s", st)
		}
		return err
	}
	b.Run("Serial", func(b *testing.B) { serially(b, alive) })
	b.Run("Concurrent", func(b *testing.B) { concurrently(b, alive) })
}

// BenchmarkGet measures reading a whole session (one HGETALL).
func BenchmarkGet(b *testing.B) {
	client, prefix := iamtest.Redis(b)
	s := sessionredis.New(client, sessionredis.WithPrefix(prefix))
	ctx := context.Background()
	now := time.Now()
	if _, err := s.Create(ctx, session.Session{ID: "s", Realm: "bench", UserID: "u", Clients: map[string]string{"uuid-web": "web"},
		Started: now, LastAccess: now, IdleExpiresAt: now.Add(time.Hour), ExpiresAt: now.Add(2 * time.Hour)}); err != nil {
		b.Fatal(err)
	}
	get := func(int64) error { _, err := s.Get(ctx, "bench", "s"); return err }
	b.Run("Serial", func(b *testing.B) { serially(b, get) })
	b.Run("Concurrent", func(b *testing.B) { concurrently(b, get) })
}
