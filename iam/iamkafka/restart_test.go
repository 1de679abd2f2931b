package iamkafka_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iamtest"
)

// partitions returns how many partitions topic has on the cluster, 0 if it
// does not exist.
func partitions(t *testing.T, seeds []string, topic string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	defer cancel()
	details, err := kadm.NewClient(newClient(t, seeds)).ListTopics(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := details[topic]
	if !ok || d.Err != nil {
		return 0
	}
	return len(d.Partitions)
}

// A broker that comes back without its topics (a single broker without
// persistence, a cluster rebuilt) gets them back from the clients, with
// the deployment's settings, and publishing and consuming resume without
// restarting either: the publisher purges and re-creates the topic it
// finds under a new id; the consumer does the same for the topics it
// fetches, and its group starts them from the beginning (the broker lost
// the committed offsets too).
func TestBrokerRestartedEmptyIsHealedWithoutRestartingTheClients(t *testing.T) {
	r := iamtest.NewRestartableKafka(t, "t")
	var out syncBuffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	settings := iamkafka.WithTopicSettings(iamkafka.TopicSettings{Partitions: 3})
	pub, err := iamkafka.OpenPublisher(r.Seeds(), iamkafka.WithLogger(log), settings, iamkafka.WithPublishTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	publish(t, pub, event(t, "t", "k", 0))
	sub := iamkafka.NewSubscriber(r.Seeds(), iamkafka.WithLogger(log), settings,
		iamkafka.WithBackoff(time.Millisecond, 5*time.Millisecond))
	got := make(chan iam.Event, 10)
	subscribe(t, sub, "g", []string{"t"}, handledBy(got))
	if n := seq(t, receive(t, got, "the event before the restart")); n != 0 {
		t.Fatalf("got event %d, want 0", n)
	}

	r.RestartEmpty()
	// A relay's loop: publish until the bus acknowledges.
	deadline := time.Now().Add(hangGuard)
	attempts := 0
	for {
		attempts++
		if err := pub.Publish(context.Background(), event(t, "t", "k", 1)); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("publishing never resumed after the broker came back empty: %v (output:\n%s)", err, strings.Join(out.lines(), "\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Earlier failed attempts may have been written too: at least once.
	for {
		if n := seq(t, receive(t, got, "an event published after the restart")); n == 1 {
			break
		}
	}
	if n := partitions(t, r.Seeds(), "t"); n != 3 {
		t.Errorf("the re-created topic has %d partitions, want the deployment's 3", n)
	}
	if n := partitions(t, r.Seeds(), iamkafka.DLQTopic("t")); n != 3 {
		t.Errorf("the re-created dead-letter topic has %d partitions, want 3", n)
	}
	lines := out.lines()
	t.Logf("publishing resumed after %d attempts; %d log lines:\n%s", attempts, len(lines), strings.Join(lines, "\n"))
	if len(lines) > 40 {
		t.Errorf("%d log lines while healing, want a few", len(lines))
	}
}

// A consumer whose topics are gone heals them by itself, before any
// producer comes back.
func TestConsumerRecreatesItsTopicsOnABrokerThatLostThem(t *testing.T) {
	r := iamtest.NewRestartableKafka(t, "t")
	pub := openPublisher(t, r.Seeds())
	publish(t, pub, event(t, "t", "k", 0))
	sub := iamkafka.NewSubscriber(r.Seeds(), testOpts(iamkafka.WithTopicSettings(iamkafka.TopicSettings{Partitions: 2}))...)
	got := make(chan iam.Event, 10)
	subscribe(t, sub, "g", []string{"t"}, handledBy(got))
	receive(t, got, "the event before the restart")

	r.RestartEmpty()
	deadline := time.Now().Add(hangGuard)
	for partitions(t, r.Seeds(), "t") != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the consumer did not re-create its topic (%d partitions)", partitions(t, r.Seeds(), "t"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	publish(t, pub, event(t, "t", "k", 1))
	if n := seq(t, receive(t, got, "an event published after the restart")); n != 1 {
		t.Fatalf("got event %d, want 1", n)
	}
}
