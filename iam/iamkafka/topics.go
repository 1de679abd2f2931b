package iamkafka

import (
	"context"
	"errors"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/opengate-iam/opengate/iam"
)

// EnsureTopics creates the topics that do not exist yet, with the brokers'
// default partition count and replication factor (Kafka 2.4+). Topics that
// already exist are left as they are. Pass each consumed topic's DLQTopic too
// when the brokers do not auto-create topics. Errors: CodeInvalid for an
// invalid topic name, CodeUnavailable when the brokers refuse or cannot be
// reached.
func EnsureTopics(ctx context.Context, admin *kadm.Client, topics ...string) error {
	const op = "iamkafka.EnsureTopics"
	for _, t := range topics {
		if err := validTopic(t); err != nil {
			return iam.Wrap(op, iam.Invalidf("topics", "%q is not a valid topic name", t))
		}
	}
	if len(topics) == 0 {
		return nil
	}
	resp, err := admin.CreateTopics(ctx, -1, -1, nil, topics...)
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
