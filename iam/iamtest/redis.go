package iamtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/redis/rueidis"
)

// Redis returns a client and a key prefix unique to t. Code under test must put
// every key under the prefix (OpenGate's Redis stores take one as an option);
// the keys are deleted and the client closed when t ends, so tests sharing one
// server stay isolated and run in parallel.
func Redis(t testing.TB) (rueidis.Client, string) {
	t.Helper()
	addr := redisURL(t)
	opt, err := rueidis.ParseURL(addr)
	if err != nil {
		t.Fatalf("iamtest: parse %s: %v", EnvRedisURL, err)
	}
	opt.DisableCache = true
	client, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatalf("iamtest: connect to redis: %v", err)
	}
	prefix := "test:" + randomHex(6) + ":"
	t.Cleanup(func() {
		defer client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		var cursor uint64
		for {
			e, err := client.Do(ctx, client.B().Scan().Cursor(cursor).Match(prefix+"*").Count(1000).Build()).AsScanEntry()
			if err != nil {
				t.Errorf("iamtest: clean redis keys: %v", err)
				return
			}
			if len(e.Elements) > 0 {
				client.Do(ctx, client.B().Unlink().Key(e.Elements...).Build())
			}
			if e.Cursor == 0 {
				return
			}
			cursor = e.Cursor
		}
	})
	return client, prefix
}

// RedisURL returns the URL of the test Redis (OPENGATE_TEST_REDIS_URL, else a
// container), for code under test that connects by URL; pair it with the
// prefix of Redis(t) so the test's keys are cleaned up.
func RedisURL(t testing.TB) string {
	t.Helper()
	return redisURL(t)
}

func redisURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvRedisURL); u != "" {
		return u
	}
	u, err := docker.start("redis", "7-alpine", nil, "6379/tcp",
		func(hp string) string { return "redis://" + hp + "/0" },
		func(u string) error {
			opt, err := rueidis.ParseURL(u)
			if err != nil {
				return err
			}
			opt.DisableCache = true
			c, err := rueidis.NewClient(opt)
			if err != nil {
				return err
			}
			c.Close()
			return nil
		})
	if err != nil {
		unavailable(t, EnvRedisURL, err)
	}
	return u
}

// CachingRedis is Redis(t) with a client that has rueidis client-side
// caching on (RESP3 CLIENT TRACKING), for code that reads with DoCache; the
// client is closed when t ends, the keys under the prefix deleted.
func CachingRedis(t testing.TB) (rueidis.Client, string) {
	t.Helper()
	_, prefix := Redis(t) // its client cleans the prefix up when t ends
	opt, err := rueidis.ParseURL(redisURL(t))
	if err != nil {
		t.Fatalf("iamtest: parse %s: %v", EnvRedisURL, err)
	}
	client, err := rueidis.NewClient(opt)
	if err != nil {
		t.Fatalf("iamtest: connect to redis with client-side caching: %v", err)
	}
	t.Cleanup(client.Close)
	return client, prefix
}
