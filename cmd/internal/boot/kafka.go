package boot

import (
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"

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

// OpenKafka connects a publisher to the seed brokers. It returns
// iamkafka.OpenPublisher's error unwrapped, for the caller to name.
func OpenKafka(brokers []string, log *slog.Logger) (*Kafka, error) {
	pub, err := iamkafka.OpenPublisher(brokers, iamkafka.WithLogger(log))
	if err != nil {
		return nil, err
	}
	return &Kafka{Publisher: pub, brokers: brokers, log: log}, nil
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
