package iamtest

import (
	"net"
	"os"
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
// that a test can stop and start again, as a broker that goes away and
// comes back: with its data (Stop, then Start: its topics with their ids,
// records, committed offsets and groups are kept on disk meanwhile), or
// having lost it (RestartEmpty: the clients reconnect to the same address
// and find no topics, offsets or groups). Topics are created on first use
// with one partition.
type RestartableKafka struct {
	t    testing.TB
	port int
	base string // the data directories' parent

	mu  sync.Mutex
	c   *kfake.Cluster // nil while stopped
	dir string         // the running or stopped broker's data
}

// NewRestartableKafka starts a RestartableKafka with topics pre-created; it
// is closed when t ends.
func NewRestartableKafka(t testing.TB, topics ...string) *RestartableKafka {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &RestartableKafka{t: t, port: ln.Addr().(*net.TCPAddr).Port, base: t.TempDir()} // removed after the close below
	ln.Close()
	r.dir = r.newDir()
	r.start(topics...)
	t.Cleanup(r.Stop)
	return r
}

// Seeds returns the broker's address.
func (r *RestartableKafka) Seeds() []string {
	return []string{"127.0.0.1:" + strconv.Itoa(r.port)}
}

// Cluster returns the running cluster, for its Control methods (nil while
// stopped).
func (r *RestartableKafka) Cluster() *kfake.Cluster {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.c
}

// Stop stops the broker, keeping its data: its port refuses connections
// and open ones are closed until Start. Stopping a stopped broker does
// nothing.
func (r *RestartableKafka) Stop() {
	r.mu.Lock()
	c := r.c
	r.c = nil
	r.mu.Unlock()
	if c != nil {
		c.Close() // writes its state to r.dir
	}
}

// Start starts the stopped broker again on the same port with the data it
// had when it stopped.
func (r *RestartableKafka) Start() {
	r.t.Helper()
	r.start()
}

// RestartEmpty stops the broker and starts an empty one on the same port.
func (r *RestartableKafka) RestartEmpty() {
	r.t.Helper()
	r.Stop()
	r.mu.Lock()
	r.dir = r.newDir()
	r.mu.Unlock()
	r.start()
}

// newDir returns a new empty data directory.
func (r *RestartableKafka) newDir() string {
	r.t.Helper()
	dir, err := os.MkdirTemp(r.base, "kafka-")
	if err != nil {
		r.t.Fatalf("iamtest: kfake data directory: %v", err)
	}
	return dir
}

// start starts a broker on r's port over r.dir (reloading what is there),
// with topics pre-created.
func (r *RestartableKafka) start(topics ...string) {
	r.t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.c != nil {
		r.t.Fatal("iamtest: the broker is already running")
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.Ports(r.port), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(1),
		kfake.DataDir(r.dir), ProduceByName()}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(1, topics...))
	}
	var err error
	for range 100 { // the old listener's port may take a moment to free
		var c *kfake.Cluster
		if c, err = kfake.NewCluster(opts...); err == nil {
			r.c = c
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
