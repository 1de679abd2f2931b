package iamkafka

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/opengate-iam/opengate/iam"
	"github.com/opengate-iam/opengate/internal/lograte"
)

// Publisher publishes events to Kafka: each event is one record on the topic
// named by its Type, keyed by its Key (realm/subject) so one object's events
// keep their order, valued by its CloudEvents JSON, with the headers ce_type,
// ce_id and content-type.
//
// Its client should be an idempotent producer with acks from all in-sync
// replicas, which is franz-go's default; the default partitioner hashes keys
// like the Java client's. Since Publish waits for acknowledgements, a producer
// linger (franz-go's default is 10ms) adds to every Publish: give NewPublisher
// a client with kgo.ProducerLinger(0) unless it also batches other traffic. A Publisher is safe for concurrent use.
type Publisher struct {
	owned    bool
	cfg      config
	kopts    []kgo.Opt // an owned client's options, to renew it
	producer producer

	mu      sync.Mutex
	client  *kgo.Client // the current client
	closed  bool
	renewed time.Time
}

var _ iam.Publisher = (*Publisher)(nil)

// NewPublisher returns a Publisher producing through client, which the caller
// owns (Close does not close it). Options: WithPublishTimeout.
func NewPublisher(client *kgo.Client, opts ...Option) *Publisher {
	p := &Publisher{client: client, cfg: newConfig(opts)}
	p.producer = producer{client: p.current}
	return p
}

// OpenPublisher returns a Publisher with its own client for the seed brokers
// (host:port), which Close closes. A topic it does not find, or finds
// re-created under a new id (a broker that lost its data), it creates with
// WithTopicSettings and produces to again, through a new client, without a
// restart. The client does not linger, and logs the client's warnings to
// WithLogger, a repeating one once per WithLogInterval. Options:
// WithClientOpts, WithPublishTimeout, WithLogger, WithLogInterval,
// WithTopicSettings. Errors: CodeInvalid for no seeds or bad client options.
func OpenPublisher(seeds []string, opts ...Option) (*Publisher, error) {
	const op = "iamkafka.OpenPublisher"
	if len(seeds) == 0 {
		return nil, iam.Wrap(op, iam.Invalidf("seeds", "at least one seed broker is required"))
	}
	cfg := newConfig(opts)
	lim := lograte.New(cfg.logFirst, cfg.logMost)
	kopts := append([]kgo.Opt{
		kgo.SeedBrokers(seeds...),
		// No auto-creation: a topic that does not exist is created with the
		// deployment's TopicSettings (renew), not the brokers' defaults.
		// Notice a broker that came back, and a topic's new id, within a
		// second rather than franz-go's default five; give up on a topic
		// that does not exist after two metadata loads, to create it.
		kgo.MetadataMinAge(time.Second),
		kgo.UnknownTopicRetries(2),
		kgo.ProducerLinger(0), // Publish waits for acks: lingering only adds latency
		kgo.WithLogger(kgoLogger{log: cfg.logger, lim: lim, attrs: []slog.Attr{slog.String("client", "publisher")}}),
	}, cfg.clientOpts...)
	client, err := kgo.NewClient(kopts...)
	if err != nil {
		return nil, &iam.Error{Code: iam.CodeInvalid, Op: op, Message: "invalid Kafka client configuration", Err: err}
	}
	p := &Publisher{client: client, owned: true, cfg: cfg, kopts: kopts}
	heal := newRecreated(client, &cfg, lim, slog.String("client", "publisher"))
	p.producer = producer{client: p.current, heal: func(ctx context.Context, topics []string) { p.renew(ctx, heal, topics) }}
	return p, nil
}

// current returns the client to produce through.
func (p *Publisher) current() *kgo.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.client
}

// renew heals topics that are gone or were re-created under new ids: it
// creates them with the deployment's settings and replaces the client with
// a new one, which knows nothing of the old ids (at most once per
// recoverEvery; the old client is closed in the background, and what was
// in flight on it fails and is published again by its callers). A new
// client rather than a purge: purging topics while other Publish calls
// have produce requests in flight for them can put the old and the new id
// of one topic in one request.
func (p *Publisher) renew(ctx context.Context, heal *recreated, topics []string) {
	p.mu.Lock()
	if p.closed || time.Since(p.renewed) < recoverEvery {
		p.mu.Unlock()
		return
	}
	p.renewed = time.Now()
	p.mu.Unlock()
	heal.logHealing(ctx, topics)
	client, err := kgo.NewClient(p.kopts...)
	if err != nil {
		return // the options worked before; keep the old client
	}
	heal.createWith(ctx, client, topics)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		client.Close()
		return
	}
	old := p.client
	p.client = client
	p.mu.Unlock()
	go old.Close()
}

// Close closes the client if OpenPublisher created it; otherwise it does
// nothing. It always returns nil.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.owned && !p.closed {
		p.closed = true
		p.client.Close()
	}
	return nil
}

// Publish produces events and returns once every record is acknowledged. It
// never waits past ctx or the publish timeout: it then returns CodeUnavailable
// wrapping ctx's error, and records already handed to the client may still be
// written (delivery is at-least-once; a retried Publish may duplicate them).
// Errors: CodeInvalid for an event without a valid type or id (then nothing is
// produced) or one the brokers reject as too large or invalid, CodeUnavailable
// when the brokers fail or do not answer in time.
func (p *Publisher) Publish(ctx context.Context, events ...iam.Event) error {
	const op = "iamkafka.Publish"
	if len(events) == 0 {
		return nil
	}
	records := make([]*kgo.Record, len(events))
	for i, e := range iam.StampTrace(ctx, events) {
		r, err := newRecord(e)
		if err != nil {
			return iam.Wrap(op, err)
		}
		records[i] = r
	}
	if p.cfg.publishTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.cfg.publishTimeout)
		defer cancel()
	}
	return iam.Wrap(op, p.producer.produce(ctx, records))
}

// producer produces records through a client, healing the topics that a
// broker lost or re-created under new ids.
type producer struct {
	client func() *kgo.Client
	heal   func(ctx context.Context, topics []string) // nil: no healing
}

// produce hands records to the client and waits for every acknowledgement
// or for ctx to end, whichever is first. Records that fail because their
// topic does not exist, or has a new id on the broker, are produced once
// more after the topics are healed.
func (p producer) produce(ctx context.Context, records []*kgo.Record) error {
	unknown, err := produceOnce(ctx, p.client(), records)
	if err == nil {
		return nil
	}
	if len(unknown) == 0 || p.heal == nil || ctx.Err() != nil {
		return produceError(err)
	}
	var topics []string
	again := make([]*kgo.Record, len(unknown))
	for i, r := range unknown {
		if !slices.Contains(topics, r.Topic) {
			topics = append(topics, r.Topic)
		}
		// A fresh copy: a record handed to a client must not be reused.
		again[i] = &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value, Headers: r.Headers}
	}
	p.heal(ctx, topics)
	if _, err := produceOnce(ctx, p.client(), again); err != nil {
		return produceError(err)
	}
	return nil
}

// produceOnce hands records to client and waits for every acknowledgement
// or for ctx to end, whichever is first; it returns the first error and the
// records that failed because their topic does not exist (under the id the
// client knows). franz-go only abandons an
// idempotently produced record when that is safe for its sequence numbers,
// which can be long after ctx ended; so we stop waiting instead.
func produceOnce(ctx context.Context, client *kgo.Client, records []*kgo.Record) (unknown []*kgo.Record, first error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	type result struct {
		r   *kgo.Record
		err error
	}
	results := make(chan result, len(records)) // never blocks a late callback
	for _, r := range records {
		client.Produce(ctx, r, func(r *kgo.Record, err error) { results <- result{r, err} })
	}
	for range records {
		select {
		case res := <-results:
			if res.err == nil {
				continue
			}
			if first == nil {
				first = res.err
			}
			if unknownTopic(res.err) {
				unknown = append(unknown, res.r)
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return unknown, first
}

// produceError classifies a produce failure.
func produceError(err error) error {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &iam.Error{Code: iam.CodeUnavailable, Message: "event bus did not acknowledge in time", Err: err}
	case errors.Is(err, kerr.MessageTooLarge), errors.Is(err, kerr.RecordListTooLarge),
		errors.Is(err, kerr.InvalidRecord), errors.Is(err, kerr.InvalidTopicException):
		return &iam.Error{Code: iam.CodeInvalid, Message: "event rejected by the event bus", Err: err}
	default:
		return &iam.Error{Code: iam.CodeUnavailable, Message: "event bus unavailable", Err: err}
	}
}
