package boot

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/iam/iamkafka"
	"github.com/opengate-iam/opengate/iam/iammetrics"
)

// KafkaConfig is how a binary uses Kafka.
type KafkaConfig struct {
	// Brokers are the seed brokers (OPENGATE_KAFKA_BROKERS); none: no Kafka.
	Brokers []string
	// Instance names this process in its consumer groups: every member it
	// runs is a static member (iamkafka.WithInstance), so a restarted
	// process takes its partitions back at once. It is the binary's
	// -instance (OPENGATE_INSTANCE, else the host name); "" for dynamic
	// membership.
	Instance string
	// SessionTimeout is OPENGATE_KAFKA_SESSION_TIMEOUT: how long the
	// coordinator waits for a silent member before giving its partitions
	// to the others (0: iamkafka.DefaultSessionTimeout).
	SessionTimeout time.Duration
	// Topics are how the binary creates OpenGate's topics, at start and
	// when a broker has lost them: OPENGATE_KAFKA_TOPIC_PARTITIONS,
	// OPENGATE_KAFKA_REPLICATION_FACTOR and OPENGATE_KAFKA_MIN_INSYNC_REPLICAS
	// (unset: the brokers' defaults).
	Topics iamkafka.TopicSettings
}

// ParseKafka reads the Kafka settings besides the brokers and the instance:
// OPENGATE_KAFKA_SESSION_TIMEOUT, a Go duration ("30s") of at least one
// second; OPENGATE_KAFKA_TOPIC_PARTITIONS, OPENGATE_KAFKA_REPLICATION_FACTOR
// and OPENGATE_KAFKA_MIN_INSYNC_REPLICAS, positive integers. Errors name
// the variable.
func ParseKafka(getenv func(string) string, brokers []string, instance string) (KafkaConfig, error) {
	k := KafkaConfig{Brokers: brokers, Instance: instance}
	if s := getenv("OPENGATE_KAFKA_SESSION_TIMEOUT"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second {
			return KafkaConfig{}, fmt.Errorf("OPENGATE_KAFKA_SESSION_TIMEOUT: %q is not a duration of at least 1s (e.g. 30s)", s)
		}
		k.SessionTimeout = d
	}
	positive := func(name string, limit int) (int, error) {
		s := getenv(name)
		if s == "" {
			return 0, nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > limit {
			return 0, fmt.Errorf("%s: %q is not a whole number from 1 to %d", name, s, limit)
		}
		return n, nil
	}
	partitions, err := positive("OPENGATE_KAFKA_TOPIC_PARTITIONS", 10000)
	if err != nil {
		return KafkaConfig{}, err
	}
	replication, err := positive("OPENGATE_KAFKA_REPLICATION_FACTOR", 100)
	if err != nil {
		return KafkaConfig{}, err
	}
	minISR, err := positive("OPENGATE_KAFKA_MIN_INSYNC_REPLICAS", 100)
	if err != nil {
		return KafkaConfig{}, err
	}
	k.Topics = iamkafka.TopicSettings{Partitions: int32(partitions), ReplicationFactor: int16(replication)}
	if minISR > 0 {
		v := strconv.Itoa(minISR)
		k.Topics.Configs = map[string]*string{"min.insync.replicas": &v}
	}
	return k, nil
}

// Kafka is a binary's connection to Kafka: one publisher, and the two
// subscribers, all logging to the binary's logger.
type Kafka struct {
	// Publisher publishes to the brokers; Close closes it.
	Publisher *iamkafka.Publisher
	sub       *iamkafka.Subscriber
	cacheSub  *iamkafka.Subscriber
	metrics   *iammetrics.Consumers
}

// OpenKafka connects a publisher to the seed brokers and makes sure every
// OpenGate topic and its dead-letter topic exist (clusters that refuse to let
// applications create topics only get a warning: their operators create them).
// It returns iamkafka.OpenPublisher's error unwrapped, for the caller to name.
func OpenKafka(ctx context.Context, k KafkaConfig, log *slog.Logger) (*Kafka, error) {
	pub, err := iamkafka.OpenPublisher(k.Brokers, iamkafka.WithLogger(log), iamkafka.WithTopicSettings(k.Topics))
	if err != nil {
		return nil, err
	}
	if err := ensureTopics(ctx, k.Brokers, k.Topics); err != nil {
		log.Warn("could not create the Kafka topics; create them before use", "error", err.Error())
	}
	kafka := &Kafka{Publisher: pub}
	kafka.metrics = iammetrics.NewConsumers(kafka.lag)
	opts := []iamkafka.Option{
		iamkafka.WithLogger(log),
		iamkafka.WithInstance(k.Instance),
		iamkafka.WithSessionTimeout(k.SessionTimeout),
		iamkafka.WithObserver(kafka.metrics),
		iamkafka.WithTopicSettings(k.Topics),
	}
	kafka.sub = iamkafka.NewSubscriber(k.Brokers, opts...)
	kafka.cacheSub = iamkafka.NewSubscriber(k.Brokers, append(opts,
		iamkafka.WithClientOpts(kgo.ConsumeResetOffset(kgo.NewOffset().AtEnd())))...)
	return kafka, nil
}

// Metrics are the consumers' metrics (handled and dead-lettered events, lag
// per group and topic) for /metrics: iammetrics.Consumers.
func (k *Kafka) Metrics() prometheus.Collector { return k.metrics }

// lag is the lag of every group the two subscribers run members of.
func (k *Kafka) lag(ctx context.Context) (map[string]map[string]int64, error) {
	out, err := k.sub.Lag(ctx)
	if err != nil {
		return nil, err
	}
	cache, err := k.cacheSub.Lag(ctx)
	if err != nil {
		return nil, err
	}
	maps.Copy(out, cache)
	return out, nil
}

// ensureTopics creates iam.Topics() and their dead-letter topics with
// settings, waiting at most ten seconds.
func ensureTopics(ctx context.Context, brokers []string, settings iamkafka.TopicSettings) error {
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
	return settings.Create(ctx, kadm.NewClient(client), topics...)
}

// Subscriber returns the subscriber whose new consumer groups start at the
// earliest retained event: for consumers that must see every event. Its
// members are static members named after KafkaConfig.Instance.
func (k *Kafka) Subscriber() *iamkafka.Subscriber { return k.sub }

// CacheSubscriber returns the subscriber whose new consumer groups start at
// the end of their topics: for a replica's cache invalidation, which only
// needs what happens from now on.
func (k *Kafka) CacheSubscriber() *iamkafka.Subscriber { return k.cacheSub }

// Close closes the publisher. Subscribers end with their contexts.
func (k *Kafka) Close() {
	_ = k.Publisher.Close()
}
