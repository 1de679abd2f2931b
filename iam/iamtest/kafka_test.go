package iamtest_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/iam/iamtest"
)

// topicState is what a client sees of topic t on the broker: its id and
// the records in it.
func topicState(t *testing.T, seeds []string) (id [16]byte, values []string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.ConsumeTopics("t"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	topics, err := kadm.NewClient(cl).ListTopics(ctx, "t")
	if err != nil || topics["t"].Err != nil {
		t.Fatalf("list topic t: %v %v", err, topics["t"].Err)
	}
	for len(values) < 2 {
		fetches := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %v of topic t, then timed out", values)
		}
		fetches.EachRecord(func(r *kgo.Record) { values = append(values, string(r.Value)) })
	}
	return topics["t"].ID, values
}

func TestRestartableKafkaStopsAndStartsWithItsData(t *testing.T) {
	r := iamtest.NewRestartableKafka(t, "t")
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.Seeds()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "t", Value: []byte("a")}, &kgo.Record{Topic: "t", Value: []byte("b")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	id, before := topicState(t, r.Seeds())

	r.Stop()
	if conn, err := net.DialTimeout("tcp", r.Seeds()[0], time.Second); err == nil {
		conn.Close()
		t.Fatal("the stopped broker accepts connections")
	}
	if r.Cluster() != nil {
		t.Error("a stopped broker has a cluster")
	}
	r.Start()
	againID, after := topicState(t, r.Seeds())
	if againID != id || len(after) != 2 || after[0] != before[0] || after[1] != before[1] {
		t.Fatalf("after Stop and Start: topic id %x, records %v; before: %x, %v", againID, after, id, before)
	}

	r.RestartEmpty()
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admin := kadm.NewClient(cl)
	topics, err := admin.ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if topics.Has("t") {
		t.Fatalf("RestartEmpty kept topic t: %v", topics.Names())
	}
}
