package boottest

import (
	"bufio"
	"context"
	"io"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/opengate-iam/opengate/iam/iamtest"
)

// RunFunc is the signature of every binary's run.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Env returns a getenv that reads m (nil reads nothing).
func Env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// Started is a binary running in-process.
type Started struct {
	// URL is the binary's base URL, http://host:port.
	URL string
	// Output is what the binary printed to stdout up to and including its
	// "listening on" line, a line an item.
	Output []string
}

// Start runs run with args and env (stderr discarded) until the test ends,
// and returns once it has printed a line containing "listening on <address>"
// (either host:port or http://host:port), as text or in a JSON record. It fails the test if run ends
// first. When the test ends it cancels run's context and fails the test if run
// does not return nil within 30 seconds.
func Start(t testing.TB, run RunFunc, args []string, env map[string]string) Started {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, Env(env), pw, io.Discard)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run = %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("run did not stop within 30s of cancellation")
		}
	})
	var s Started
	lines := bufio.NewScanner(pr)
	for s.URL == "" && lines.Scan() {
		s.Output = append(s.Output, lines.Text())
		if _, rest, ok := strings.Cut(lines.Text(), "listening on "); ok {
			// The line is text or a JSON record (OPENGATE_LOG_FORMAT=json),
			// where the address ends at the message's closing quote.
			if fields := strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == '"' }); len(fields) > 0 {
				s.URL = "http://" + strings.TrimPrefix(fields[0], "http://")
			}
		}
	}
	if s.URL == "" {
		t.Fatalf("run ended early: %v (output %q)", <-done, s.Output)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	return s
}

// StartService is Start for a microservice, which refuses to start without
// Kafka: unless env names OPENGATE_KAFKA_BROKERS it gets a kfake cluster of
// its own (iamtest.Kafka), where its events go and its consumers read.
func StartService(t testing.TB, run RunFunc, args []string, env map[string]string) Started {
	t.Helper()
	if env["OPENGATE_KAFKA_BROKERS"] == "" {
		withKafka := maps.Clone(env)
		if withKafka == nil {
			withKafka = map[string]string{}
		}
		withKafka["OPENGATE_KAFKA_BROKERS"] = strings.Join(iamtest.Kafka(t), ",")
		env = withKafka
	}
	return Start(t, run, args, env)
}
