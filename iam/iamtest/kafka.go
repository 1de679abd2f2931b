package iamtest

import (
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
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
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.AllowAutoTopicCreation(), ProduceByName()}
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

// RestartableKafka is a one-broker kfake cluster on a fixed loopback port
// that a test can restart empty, as a broker that lost its data comes back
// (RestartEmpty): the clients reconnect to the same address and find no
// topics, offsets or groups. Topics are created on first use with one
// partition.
type RestartableKafka struct {
	t    testing.TB
	port int
	mu   sync.Mutex
	c    *kfake.Cluster
}

// NewRestartableKafka starts a RestartableKafka with topics pre-created; it
// is closed when t ends.
func NewRestartableKafka(t testing.TB, topics ...string) *RestartableKafka {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &RestartableKafka{t: t, port: ln.Addr().(*net.TCPAddr).Port}
	ln.Close()
	r.start(topics...)
	t.Cleanup(func() { r.Cluster().Close() })
	return r
}

// Seeds returns the broker's address.
func (r *RestartableKafka) Seeds() []string {
	return []string{"127.0.0.1:" + strconv.Itoa(r.port)}
}

// Cluster returns the running cluster, for its Control methods.
func (r *RestartableKafka) Cluster() *kfake.Cluster {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.c
}

// RestartEmpty stops the broker and starts an empty one on the same port.
func (r *RestartableKafka) RestartEmpty() {
	r.t.Helper()
	r.Cluster().Close()
	r.start()
}

func (r *RestartableKafka) start(topics ...string) {
	r.t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(r.port), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1),
		ProduceByName()}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(1, topics...))
	}
	var c *kfake.Cluster
	var err error
	for range 100 { // the old listener's port may take a moment to free
		if c, err = kfake.NewCluster(opts...); err == nil {
			r.mu.Lock()
			r.c = c
			r.mu.Unlock()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	r.t.Fatalf("iamtest: start kfake on port %d: %v", r.port, err)
}

// ProduceByName makes a kfake cluster accept produce requests up to version
// 12, which name their topics, rather than 13, which give topic ids: kfake
// (at the version in go.mod) panics on a version-13 produce request with two
// or more topic ids it does not know — what clients send to a broker that
// came back empty — and the panic kills the test process. Clients then
// produce by name; fetches still use topic ids, and franz-go still refuses
// a topic's new id, so the ways OpenGate heals re-created topics are
// exercised all the same. Every cluster of this package uses it.
func ProduceByName() kfake.Opt {
	v := kversion.Tip()
	v.SetMaxKeyVersion(int16(kmsg.Produce), 12)
	return kfake.MaxVersions(v)
}
