package iamtest

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Kafka starts an in-process Kafka-protocol cluster (franz-go's kfake) on
// loopback TCP, with topics pre-created, and returns its seed brokers. The
// cluster is closed when t ends.
func Kafka(t testing.TB, topics ...string) []string {
	t.Helper()
	c := KafkaCluster(t, topics...)
	return c.ListenAddrs()
}

// KafkaCluster is Kafka returning the cluster itself, for tests that inject
// faults with its Control methods.
func KafkaCluster(t testing.TB, topics ...string) *kfake.Cluster {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.AllowAutoTopicCreation()}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(1, topics...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatalf("iamtest: start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}
