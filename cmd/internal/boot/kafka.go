package boot

import (
	"context"
	"log/slog"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
)

// Kafka is a binary's connection to Kafka: one publisher, and subscribers
// made on demand, all logging to the binary's logger.
type Kafka struct {
	// Publisher publishes to the brokers; Close closes it.
	Publisher *iamkafka.Publisher
	brokers   []string
	log       *slog.Logger
}

// OpenKafka connects a publisher to the seed brokers and makes sure every
// OpenGate topic and its dead-letter topic exist (clusters that refuse to let
// applications create topics only get a warning: their operators create them).
// It returns iamkafka.OpenPublisher's error unwrapped, for the caller to name.
func OpenKafka(ctx context.Context, brokers []string, log *slog.Logger) (*Kafka, error) {
	pub, err := iamkafka.OpenPublisher(brokers, iamkafka.WithLogger(log))
	if err != nil {
		return nil, err
	}
	if err := ensureTopics(ctx, brokers); err != nil {
		log.Warn("could not create the Kafka topics; create them before use", "error", err.Error())
	}
	return &Kafka{Publisher: pub, brokers: brokers, log: log}, nil
}

// ensureTopics creates iam.Topics() and their dead-letter topics, waiting at
// most ten seconds.
func ensureTopics(ctx context.Context, brokers []string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	defer client.Close()
	var topics []string
	for _, t := range iam.Topics() {
		topics = append(topics, t, iamkafka.DLQTopic(t))
	}
	return iamkafka.EnsureTopics(ctx, kadm.NewClient(client), topics...)
}

// Subscriber returns a subscriber whose new consumer groups start at the
// earliest retained event: for consumers that must see every event.
func (k *Kafka) Subscriber() *iamkafka.Subscriber {
	return iamkafka.NewSubscriber(k.brokers, iamkafka.WithLogger(k.log))
}

// CacheSubscriber returns a subscriber whose new consumer groups start at the
// end of their topics: for a replica's cache invalidation, which only needs
// what happens from now on.
func (k *Kafka) CacheSubscriber() *iamkafka.Subscriber {
	return iamkafka.NewSubscriber(k.brokers, iamkafka.WithLogger(k.log),
		iamkafka.WithClientOpts(kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd())))
}

// Close closes the publisher. Subscribers end with their contexts.
func (k *Kafka) Close() {
	_ = k.Publisher.Close()
}
