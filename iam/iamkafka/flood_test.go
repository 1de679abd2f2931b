package iamkafka_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
)

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Split(strings.TrimSpace(s.b.String()), "\n")
}

// A broker that is dead for 30 seconds under two consumer groups and a
// publisher that keeps trying produces a bounded number of log lines: each
// distinct failure is logged at once, then once per interval (1 s doubling
// to a minute, the defaults), with a count of what it stands for — five
// lines in 30 s — rather than once per fetch or per retry.
func TestADeadBrokerDoesNotFloodTheLog(t *testing.T) {
	if testing.Short() {
		t.Skip("a 30-second outage")
	}
	t.Parallel()
	const outage = 30 * time.Second
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "t"))
	if err != nil {
		t.Fatal(err)
	}
	seeds := c.ListenAddrs()
	var out syncBuffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}))

	pub, err := iamkafka.OpenPublisher(seeds, iamkafka.WithLogger(log), iamkafka.WithPublishTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	publish(t, pub, event(t, "t", "k", 0))
	sub := iamkafka.NewSubscriber(seeds, iamkafka.WithLogger(log), iamkafka.WithBackoff(time.Millisecond, 5*time.Millisecond))
	got := make(chan iam.Event, 2)
	for _, g := range []string{"a", "b"} {
		subscribe(t, sub, g, []string{"t"}, handledBy(got))
	}
	receive(t, got, "group a's first event")
	receive(t, got, "group b's first event")

	c.Close() // the broker dies
	ctx, cancel := context.WithTimeout(context.Background(), outage)
	defer cancel()
	attempts := 0
	for ctx.Err() == nil { // a relay retrying without pause
		_ = pub.Publish(ctx, event(t, "t", "k", attempts))
		attempts++
	}

	lines := out.lines()
	// At 0, 1, 3, 7 and 15 s; one more for a failure first seen late.
	const perFailure = 6
	// Distinct failures: franz-go's own for each client (a broker it
	// cannot reach, a group it cannot manage) and the members' fetches,
	// commits and handlers.
	const failures = 12
	t.Logf("%d log lines in a %s outage (%d publish attempts):\n%s", len(lines), outage, attempts, strings.Join(lines, "\n"))
	if len(lines) > failures*perFailure {
		t.Fatalf("%d log lines, want at most %d", len(lines), failures*perFailure)
	}
	perSource := map[string]int{}
	for _, l := range lines {
		perSource[message(l)+" "+source(l)]++
	}
	for what, n := range perSource {
		if n > perFailure {
			t.Errorf("%q logged %d times, want at most %d", what, n, perFailure)
		}
	}
	if sumRepeated(lines) == 0 {
		t.Error("no line counts the failures it stands for (repeated=n)")
	}
}

var sourceRE = regexp.MustCompile(`(group|client)=(\S+)`)

// source is the group or client a line is about.
func source(line string) string { return sourceRE.FindString(line) }

var repeatedRE = regexp.MustCompile(`repeated=(\d+)`)

func sumRepeated(lines []string) int {
	n := 0
	for _, l := range lines {
		if m := repeatedRE.FindStringSubmatch(l); m != nil {
			v, _ := strconv.Atoi(m[1])
			n += v
		}
	}
	return n
}

var msgRE = regexp.MustCompile(`msg="([^"]*)"|msg=(\S+)`)

func message(line string) string {
	m := msgRE.FindStringSubmatch(line)
	if m == nil {
		return line
	}
	return fmt.Sprint(m[1], m[2])
}
