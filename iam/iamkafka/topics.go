package iamkafka

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opengate-iam/opengate/iam"
)

// TopicSettings are how OpenGate creates its topics: at start (the
// binaries, EnsureTopics) and when a broker has lost them (a Publisher or
// Subscriber re-creates a topic it finds under a new id). The zero value
// takes the brokers' defaults for both. On a production cluster use
// replication (ReplicationFactor 3 and min.insync.replicas=2 in Configs):
// the publishers wait for every in-sync replica (acks=all), so an
// acknowledged event survives the loss of a broker.
type TopicSettings struct {
	// Partitions of each topic; 0 or less: the brokers' num.partitions.
	Partitions int32
	// ReplicationFactor of each topic; 0 or less: the brokers'
	// default.replication.factor.
	ReplicationFactor int16
	// Configs are topic configs (min.insync.replicas, retention.ms, ...).
	Configs map[string]*string
}

// Create creates the topics that do not exist yet with s (Kafka 2.4+ for
// broker defaults); topics that exist are left as they are. Errors:
// CodeInvalid for an invalid topic name, CodeUnavailable when the brokers
// refuse or cannot be reached.
func (s TopicSettings) Create(ctx context.Context, admin *kadm.Client, topics ...string) error {
	const op = "iamkafka.EnsureTopics"
	for _, t := range topics {
		if err := validTopic(t); err != nil {
			return iam.Wrap(op, iam.Invalidf("topics", "%q is not a valid topic name", t))
		}
	}
	if len(topics) == 0 {
		return nil
	}
	partitions, replication := s.Partitions, s.ReplicationFactor
	if partitions <= 0 {
		partitions = -1
	}
	if replication <= 0 {
		replication = -1
	}
	resp, err := admin.CreateTopics(ctx, partitions, replication, s.Configs, topics...)
	if err != nil {
		return &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "cannot create topics", Err: err}
	}
	for _, r := range resp {
		if r.Err != nil && !errors.Is(r.Err, kerr.TopicAlreadyExists) {
			return &iam.Error{Code: iam.CodeUnavailable, Op: op, Message: "cannot create topic " + r.Topic, Err: r.Err}
		}
	}
	return nil
}

// EnsureTopics creates the topics that do not exist yet, with the brokers'
// default partition count and replication factor (Kafka 2.4+): the zero
// TopicSettings' Create. Topics that already exist are left as they are.
// Pass each consumed topic's DLQTopic too when the brokers do not
// auto-create topics. Errors: CodeInvalid for an invalid topic name,
// CodeUnavailable when the brokers refuse or cannot be reached.
func EnsureTopics(ctx context.Context, admin *kadm.Client, topics ...string) error {
	return TopicSettings{}.Create(ctx, admin, topics...)
}
