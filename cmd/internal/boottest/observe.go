package boottest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
)

// Call sends a request for path to the binary, with token as its bearer
// token (none if "") and body as JSON (none if ""), and returns the response
// with its body read and closed, and the body.
func (s Started) Call(t testing.TB, method, path, token, body string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(raw)
}

// GetOK fails the test unless the binary answers GET path with 200 without a
// token, for every path. /readyz gets ten seconds to turn 200: it waits for
// the background tasks (consumers joining their groups).
func (s Started) GetOK(t testing.TB, paths ...string) {
	t.Helper()
	for _, path := range paths {
		if path == "/readyz" {
			Eventually(t, 10*time.Second, "GET /readyz never answered 200", func() bool {
				resp, _ := s.Call(t, http.MethodGet, path, "", "")
				return resp.StatusCode == http.StatusOK
			})
			continue
		}
		if resp, _ := s.Call(t, http.MethodGet, path, "", ""); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s = %d", path, resp.StatusCode)
		}
	}
}

// Events subscribes the consumer group "test" to topics on the Kafka cluster
// at seeds until the test ends, and returns the events it receives, in order.
func Events(t testing.TB, seeds []string, topics ...string) <-chan iam.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	events := make(chan iam.Event)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = iamkafka.NewSubscriber(seeds).Subscribe(ctx, "test", topics, func(ctx context.Context, e iam.Event) error {
			select {
			case events <- e:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return events
}

// Eventually polls cond every 100ms and fails the test with failure unless
// it holds within d. It waits for asynchronous effects (an event consumed);
// it is not a performance assertion.
func Eventually(t testing.TB, d time.Duration, failure string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal(failure)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Count runs query, a SELECT count(*), on the database at dsn. It fails the
// test if it cannot connect and returns the query's error.
func Count(t testing.TB, dsn, query string) (int, error) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	err = conn.QueryRow(ctx, query).Scan(&n)
	return n, err
}
