package iamkafka_test

import (
	"context"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
)

// restartableCluster is a one-broker kfake cluster on a fixed port that a
// test can restart empty, as a broker that lost its data comes back.
type restartableCluster struct {
	t    *testing.T
	port int
	c    *kfake.Cluster
}

func newRestartableCluster(t *testing.T, topics ...string) *restartableCluster {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	r := &restartableCluster{t: t, port: port}
	r.start(topics...)
	t.Cleanup(func() { r.c.Close() })
	return r
}

func (r *restartableCluster) start(topics ...string) {
	r.t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(r.port), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1)}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(1, topics...))
	}
	var err error
	for range 50 { // the old listener's port may take a moment to free
		if r.c, err = kfake.NewCluster(opts...); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("restart kfake on port %d: %v", r.port, err)
}

// restartEmpty stops the broker and starts an empty one on the same port.
func (r *restartableCluster) restartEmpty() {
	r.t.Helper()
	r.c.Close()
	r.start()
}

func (r *restartableCluster) seeds() []string { return []string{"127.0.0.1:" + strconv.Itoa(r.port)} }

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
	r := newRestartableCluster(t, "t")
	var out syncBuffer
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	settings := iamkafka.WithTopicSettings(iamkafka.TopicSettings{Partitions: 3})
	pub, err := iamkafka.OpenPublisher(r.seeds(), iamkafka.WithLogger(log), settings, iamkafka.WithPublishTimeout(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	publish(t, pub, event(t, "t", "k", 0))
	sub := iamkafka.NewSubscriber(r.seeds(), iamkafka.WithLogger(log), settings,
		iamkafka.WithBackoff(time.Millisecond, 5*time.Millisecond))
	got := make(chan iam.Event, 10)
	subscribe(t, sub, "g", []string{"t"}, handledBy(got))
	if n := seq(t, receive(t, got, "the event before the restart")); n != 0 {
		t.Fatalf("got event %d, want 0", n)
	}

	r.restartEmpty()
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
	if n := partitions(t, r.seeds(), "t"); n != 3 {
		t.Errorf("the re-created topic has %d partitions, want the deployment's 3", n)
	}
	if n := partitions(t, r.seeds(), iamkafka.DLQTopic("t")); n != 3 {
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
	r := newRestartableCluster(t, "t")
	pub := openPublisher(t, r.seeds())
	publish(t, pub, event(t, "t", "k", 0))
	sub := iamkafka.NewSubscriber(r.seeds(), testOpts(iamkafka.WithTopicSettings(iamkafka.TopicSettings{Partitions: 2}))...)
	got := make(chan iam.Event, 10)
	subscribe(t, sub, "g", []string{"t"}, handledBy(got))
	receive(t, got, "the event before the restart")

	r.restartEmpty()
	deadline := time.Now().Add(hangGuard)
	for partitions(t, r.seeds(), "t") != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("the consumer did not re-create its topic (%d partitions)", partitions(t, r.seeds(), "t"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	publish(t, pub, event(t, "t", "k", 1))
	if n := seq(t, receive(t, got, "an event published after the restart")); n != 1 {
		t.Fatalf("got event %d, want 1", n)
	}
}
